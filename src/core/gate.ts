import { stableStringify } from "./json";
import { mean, std } from "./stats";
import { pairedGain } from "./system";
import { validationSample } from "./sample-indices";
import type { Variable } from "./variable";

/**
 * The validation gate every method shares (Optimas, its ablations, every baseline): a change
 * becomes the incumbent only if it beats the incumbent on the validation examples.
 *
 * - **No permanent lucky bar.** The incumbent keeps every validation pass it has had, pooled per
 *   example. Each comparison draws `passes` fresh validation passes (sample indices never drawn
 *   before in the run), re-measures the incumbent on them and pools them with its earlier passes
 *   (until it holds `incumbentPassCap` passes: by then one more pass moves its mean little, and the
 *   runs go to candidates instead), and measures the candidate on the same passes. A lucky first
 *   measurement is diluted by every later one instead of staying the bar.
 * - **Sequential rejection.** The candidate's first pass is checked before its others run: a
 *   candidate whose paired gain on it is more than `earlyRejectStdErrors` standard errors below 0
 *   is rejected there, without its other passes.
 * - **No float ties.** The paired mean gain must exceed the rule's bar and also float noise
 *   (`FLOAT_TIE_RELATIVE` of the scores' scale): [1/3, 2/3] → [0, 1] has a gain of +2.8e-17, a tie.
 * - **No-op proposals** are not validated (`isNoOp`); the caller counts them with `skipNoOp`.
 */

/** Per validation example, the sum of the incumbent's scores over its passes that ran, and how many ran. */
export interface PooledPasses {
  sums: number[];
  counts: number[];
}

export interface GateState {
  incumbent: PooledPasses;
  /** The first validation pass no comparison has drawn yet (sample index `validationSample(nextPass)`). */
  nextPass: number;
  /** Proposals that changed nothing: not validated, no system run spent. */
  noOpSkips: number;
  /** Gains above the rule's bar that were float noise, rejected. */
  floatTies: number;
}

export interface GateRule {
  /** Validation passes per comparison (the shared `valRepeats`). */
  passes: number;
  acceptTolerance: number;
  acceptStdErrors: number;
  /** false: the no-gate ablation, every measured candidate is accepted. */
  enabled: boolean;
  /** The incumbent is re-measured while it pools fewer passes than this (per example). */
  incumbentPassCap: number;
  /** Reject after the candidate's first pass when its paired gain is below −this × its standard error (Infinity: never). */
  earlyRejectStdErrors: number;
}

/** Scores of `passes` validation passes of one system state, pass r at sample index `first + r`: scores[r][example]. */
export type MeasurePasses = (first: number, passes: number) => Promise<(number | null)[][]>;

export interface GateDecision {
  accepted: boolean;
  /** The incumbent's pooled validation score, including this comparison's passes. */
  valBefore: number;
  /** The candidate's validation score on this comparison's passes. */
  valAfter: number;
  gain: number;
  bar: number;
  floatTie: boolean;
  /** Passes the incumbent's score pools (this comparison's included). */
  incumbentPasses: number;
  /** Validation passes the candidate ran: 1 when its first pass rejected it. */
  candidatePasses: number;
  /** Rejected on the candidate's first pass (sequential rejection). */
  earlyRejected: boolean;
}

/** A gain must exceed this share of the scores' scale: float rounding of equal means stays far below it. */
export const FLOAT_TIE_RELATIVE = 1e-9;

export function pooledFrom(passes: readonly (readonly (number | null)[])[], into?: PooledPasses): PooledPasses {
  const examples = passes[0]?.length ?? into?.sums.length ?? 0;
  const sums = into ? [...into.sums] : new Array<number>(examples).fill(0);
  const counts = into ? [...into.counts] : new Array<number>(examples).fill(0);
  for (const pass of passes) {
    pass.forEach((score, i) => {
      if (score === null) return;
      sums[i]! += score;
      counts[i]! += 1;
    });
  }
  return { sums, counts };
}

/** Each example's mean over its pooled passes (null: none ran). */
export function pooledMeans(pooled: PooledPasses): (number | null)[] {
  return pooled.sums.map((s, i) => (pooled.counts[i]! > 0 ? s / pooled.counts[i]! : null));
}

/** The pooled score: mean over examples of their pooled means. */
export function pooledScore(pooled: PooledPasses): number {
  return mean(pooledMeans(pooled).filter((x): x is number => x !== null));
}

/** The paired decision of a candidate's per-example scores against the incumbent's on the same examples. */
export function decide(after: readonly (number | null)[], before: readonly (number | null)[], rule: Pick<GateRule, "acceptTolerance" | "acceptStdErrors" | "enabled">): { accepted: boolean; gain: number; bar: number; floatTie: boolean } {
  // Examples whose validation failed on either side are left out of the paired comparison.
  const { diffs, gain } = pairedGain(after, before);
  const bar = Math.max(rule.acceptTolerance, diffs.length > 0 ? (rule.acceptStdErrors * std(diffs)) / Math.sqrt(diffs.length) : 0);
  const scale = Math.max(0, ...[...after, ...before].map((x) => (x === null ? 0 : Math.abs(x))));
  const floatTie = gain > bar && gain <= FLOAT_TIE_RELATIVE * scale;
  const clears = diffs.length > 0 && gain > bar && !floatTie;
  return { accepted: !rule.enabled || clears, gain, bar, floatTie: rule.enabled && floatTie };
}

/** The candidate's first pass is clearly worse than the incumbent: more than `z` standard errors of the paired differences below 0. */
export function clearlyWorse(after: readonly (number | null)[], before: readonly (number | null)[], z: number): boolean {
  const { diffs, gain } = pairedGain(after, before);
  if (!Number.isFinite(z) || diffs.length < 2) return false;
  return gain < -(z * std(diffs)) / Math.sqrt(diffs.length);
}

/** True when `proposed` is the variable as it is (identical value; bit-identical weights, which serialize exactly). */
export function isNoOp(current: Variable | null | undefined, proposed: Variable): boolean {
  return current !== null && current !== undefined && stableStringify(current) === stableStringify(proposed);
}

export class ValidationGate {
  private current: GateState;

  constructor(
    state: GateState,
    private readonly rule: GateRule,
  ) {
    this.current = { ...state };
  }

  /** A gate whose incumbent is the initial state, measured on validation passes 0 … passes−1. */
  static start(initialPasses: readonly (readonly (number | null)[])[], rule: GateRule): ValidationGate {
    return new ValidationGate({ incumbent: pooledFrom(initialPasses), nextPass: initialPasses.length, noOpSkips: 0, floatTies: 0 }, rule);
  }

  /**
   * A gate from a record written before the gate kept its passes: the incumbent's per-example
   * means stand for `passes` passes each, and new comparisons draw after the passes 0 … passes−1
   * that the old gate reused.
   */
  static fromMeans(perExample: readonly (number | null)[], rule: GateRule): ValidationGate {
    const counts = perExample.map((x) => (x === null ? 0 : rule.passes));
    const sums = perExample.map((x) => (x === null ? 0 : x * rule.passes));
    return new ValidationGate({ incumbent: { sums, counts }, nextPass: rule.passes, noOpSkips: 0, floatTies: 0 }, rule);
  }

  get state(): GateState {
    return { ...this.current, incumbent: { sums: [...this.current.incumbent.sums], counts: [...this.current.incumbent.counts] } };
  }

  get incumbentScore(): number {
    return pooledScore(this.current.incumbent);
  }

  get incumbentPerExample(): (number | null)[] {
    return pooledMeans(this.current.incumbent);
  }

  skipNoOp(): void {
    this.current.noOpSkips++;
  }

  /**
   * Draws `rule.passes` fresh validation passes. The incumbent is re-measured on them while it
   * pools fewer than `incumbentPassCap` (pooled with its earlier passes; `restartIncumbent` when the
   * incumbent itself changed since, e.g. its per-input selectors follow an adapted LRF, so only the
   * new passes stand for it). The candidate's first pass comes next: a candidate clearly worse
   * there is rejected (sequential rejection, against the re-measured incumbent, so a lucky
   * incumbent does not reject early); otherwise it runs the rest of the passes and the gate
   * decides. An accepted candidate becomes the incumbent with its passes.
   */
  async compare(measureIncumbent: MeasurePasses, measureCandidate: MeasurePasses, options: { restartIncumbent?: boolean } = {}): Promise<GateDecision> {
    const { passes } = this.rule;
    const first = validationSample(this.current.nextPass);
    validationSample(this.current.nextPass + passes - 1); // the last pass must be in range too
    const restart = options.restartIncumbent === true;
    const remeasure = restart || Math.max(0, ...this.current.incumbent.counts) < this.rule.incumbentPassCap;
    const incumbent = remeasure ? pooledFrom(await measureIncumbent(first, passes), restart ? undefined : this.current.incumbent) : this.current.incumbent;
    this.current = { ...this.current, nextPass: this.current.nextPass + passes, incumbent };
    const firstPass = pooledFrom(await measureCandidate(first, 1));
    if (this.rule.enabled && passes > 1 && clearlyWorse(pooledMeans(firstPass), pooledMeans(incumbent), this.rule.earlyRejectStdErrors)) {
      return { ...decide(pooledMeans(firstPass), pooledMeans(incumbent), this.rule), accepted: false, ...this.summary(incumbent, firstPass, 1, true) };
    }
    const candidate = passes > 1 ? pooledFrom(await measureCandidate(first + 1, passes - 1), firstPass) : firstPass;
    const decision = decide(pooledMeans(candidate), pooledMeans(incumbent), this.rule);
    this.current = {
      ...this.current,
      incumbent: decision.accepted ? candidate : incumbent,
      floatTies: this.current.floatTies + (decision.floatTie ? 1 : 0),
    };
    return { ...decision, ...this.summary(incumbent, candidate, passes, false) };
  }

  private summary(incumbent: PooledPasses, candidate: PooledPasses, candidatePasses: number, earlyRejected: boolean) {
    return { valBefore: pooledScore(incumbent), valAfter: pooledScore(candidate), incumbentPasses: Math.max(0, ...incumbent.counts), candidatePasses, earlyRejected };
  }
}
