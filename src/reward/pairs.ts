import type { PreferencePair } from "./types";

/**
 * How the global-score gap of a pair weights its Bradley–Terry term:
 * - "minmax": the reference's `(gap − min) / (max − min)` over the training set, guarded: when all
 *   gaps are equal (binary metrics: every pair is 1 vs 0) the weight is 1 instead of 0/0 = NaN.
 *   As in the reference, the smallest-gap pair gets weight 0.
 * - "raw": the gap itself.
 * - "none": weight 1 for every pair.
 */
export type MarginMode = "minmax" | "raw" | "none";

export interface PairFilterReport {
  /** Pairs with a NaN or infinite score (an evaluation error upstream). */
  nonFinite: number;
  /** Pairs whose chosen score does not exceed the rejected one: they state no preference. */
  notPreferred: number;
}

/** Keeps the pairs that carry a preference: finite scores and chosen strictly above rejected. */
export function usablePairs<P extends PreferencePair>(pairs: readonly P[]): { pairs: P[]; dropped: PairFilterReport } {
  const kept: P[] = [];
  const dropped: PairFilterReport = { nonFinite: 0, notPreferred: 0 };
  for (const p of pairs) {
    if (!Number.isFinite(p.scoreChosen) || !Number.isFinite(p.scoreRejected)) dropped.nonFinite++;
    else if (!(p.scoreChosen > p.scoreRejected)) dropped.notPreferred++;
    else kept.push(p);
  }
  return { pairs: kept, dropped };
}

/** Per-pair loss weights for usable pairs (see `MarginMode`); always finite and non-negative. */
export function marginWeights(pairs: readonly PreferencePair[], mode: MarginMode): Float32Array {
  const gaps = pairs.map((p) => p.scoreChosen - p.scoreRejected);
  switch (mode) {
    case "none":
      return new Float32Array(gaps.length).fill(1);
    case "raw":
      return Float32Array.from(gaps);
    case "minmax": {
      let lo = Infinity;
      let hi = -Infinity;
      for (const g of gaps) {
        lo = Math.min(lo, g);
        hi = Math.max(hi, g);
      }
      const range = hi - lo;
      // A zero range is the reference's NaN case (every gap equal): all pairs count fully.
      if (!(range > 1e-12)) return new Float32Array(gaps.length).fill(1);
      return Float32Array.from(gaps, (g) => (g - lo) / range);
    }
    default:
      throw new Error(`unknown marginMode "${String(mode)}" (expected "minmax", "raw" or "none")`);
  }
}

/** Credit of one pair from its two rewards: 1 if chosen is ahead, 0.5 for a tie (the reference's rule), else 0. */
export function pairCredit(rewardChosen: number, rewardRejected: number): number {
  if (rewardChosen > rewardRejected) return 1;
  return rewardChosen === rewardRejected ? 0.5 : 0;
}
