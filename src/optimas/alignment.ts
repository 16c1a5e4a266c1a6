import type { PairAccuracy } from "../reward/lrf";

/**
 * How well a component's LRF head agrees with the global metric on pairs it has not trained on:
 * its credit (pairs ranked right; a tie counts 0.5) over the pairs measured. Each iteration's fresh
 * on-policy pairs are measured before the head adapts on them, so they are out-of-sample.
 */
export interface PairTally {
  credit: number;
  pairs: number;
}

export type AlignmentTallies = Record<string, PairTally>;

/** Adds the per-component counts of one accuracy measurement. */
export function addTallies(into: AlignmentTallies, measured: PairAccuracy): AlignmentTallies {
  const out: AlignmentTallies = { ...into };
  for (const [c, { accuracy, pairs }] of Object.entries(measured.perComponent)) {
    const prev = out[c] ?? { credit: 0, pairs: 0 };
    out[c] = { credit: prev.credit + accuracy * pairs, pairs: prev.pairs + pairs };
  }
  return out;
}

export function tallyAccuracy(t: PairTally | undefined): number | null {
  return t && t.pairs > 0 ? t.credit / t.pairs : null;
}

/**
 * Wilson lower bound of the pair accuracy at `z` standard errors (0 with no pairs). A head is
 * trusted to choose only when this bound is above 0.5: a point accuracy of 0.60 on 40 pairs is
 * still compatible with chance, the same 0.60 on 400 pairs is not. Pairs of one example share
 * their inputs, so the bound is optimistic about independence; `z` is set with that in mind.
 */
export function wilsonLowerBound(t: PairTally | undefined, z: number): number {
  if (!t || t.pairs <= 0) return 0;
  const n = t.pairs;
  const p = t.credit / n;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const spread = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return (centre - spread) / (1 + z2 / n);
}

/** The LRF head can tell better from worse outputs of this component (lower bound above chance). */
export function isAligned(t: PairTally | undefined, z: number): boolean {
  return wilsonLowerBound(t, z) > 0.5;
}
