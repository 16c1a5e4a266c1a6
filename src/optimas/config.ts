import type { MarginMode } from "../reward/pairs";
import type { MetaModels, Preset } from "../core/method";
import type { SelectionRule } from "./select";

/**
 * Every knob of an Optimas run. Defaults fix the reference implementation's flaws
 * (shared/reference/optimas-algorithm.md §7); where the paper's intent is ambiguous the
 * reference behaviour stays reachable through the named option, so an ablation can compare.
 */
export interface OptimasConfig {
  /** Outer iterations (reference configs: 100). */
  iterations: number;
  /** Training examples whose pairs train the initial LRF (reference generate configs: 20). */
  initialTrainSize: number;
  /** Fresh training examples re-collected for the selected component each iteration (§5.5). */
  perIterationNewData: number;
  /** Validation examples for the acceptance gate (reference: first 10–20). */
  valSize: number;
  /**
   * Passes over the validation examples per gate decision, each with its own fixed sample
   * indices (the reference used one pass, and a lucky draw became a permanent bar, §7.3).
   */
  valRepeats: number;
  /** Re-samples of the component per example (candidates = samples + the original). */
  numSamples: number;
  /** Downstream rollouts averaged per candidate. */
  numRollouts: number;
  /** Pairs need a score gap strictly above this. */
  minGap: number;
  /**
   * "all-ordered": every ordered pair whose gap exceeds `minGap` (fix of §7.1);
   * "reference-later-wins": only pairs where the later-listed candidate wins (the reference's rule).
   */
  pairRule: "all-ordered" | "reference-later-wins";
  /** Inject the ground truth as a synthetic best candidate for the last component (§3.6; off: its score is assumed). */
  groundTruthInjection: boolean;
  /** Temperature used when re-sampling an LLM component (fix of §7.10; null keeps the component's own). */
  sampleTemperature: number | null;
  /** Initial LRF training epochs, and epochs per adaptation. */
  lrfEpochs: number;
  adaptEpochs: number;
  lrfLearningRate: number;
  marginMode: MarginMode;
  /** Adapt the LRF on fresh on-policy pairs every iteration (off = the "no adaptation" ablation). */
  adaptLrf: boolean;
  /**
   * "always": fresh pairs every iteration (fix of §7.12); "after-first-accept": the reference's
   * rule (no fresh data until an update is accepted).
   */
  freshData: "always" | "after-first-accept";
  /** Replay buffer capacity per component, and the most pairs one adaptation trains on. */
  replayBufferSize: number;
  adaptTrainSize: number;
  /** Share of the initial pairs held out to report LRF pair accuracy. */
  heldOutShare: number;
  /**
   * Component selection (select.ts): "aligned-fresh-gap" = softmax over each component's latest
   * expected gap, weighted by how far its LRF head is known to beat chance; "fresh-gap" = the same
   * without the alignment weight; "reference-offline-gap" = softmax over the static offline gaps (§5.4).
   */
  selection: SelectionRule;
  selectionTemperature: number;
  /** Iterations after being selected (and not accepted) during which a component is not selected again, while another is eligible. */
  cooldown: number;
  /** Standard errors of the Wilson lower bound on a head's out-of-sample pair accuracy (alignment.ts). */
  alignmentZ: number;
  /** Selection weight of a head not known to beat chance, next to (lower bound − 0.5) of aligned heads. */
  selectionExploration: number;
  /** A head not known to beat chance keeps `selectionExploration` for this many turns at chance (select.ts). */
  explorationTurns: number;
  /**
   * Optimize a component against its LRF head only when the head's out-of-sample pair accuracy is
   * above chance (Wilson lower bound > 0.5). Otherwise the iteration collects and adapts on fresh
   * pairs (more evidence for the head) and proposes nothing, so no validation runs are spent on a
   * candidate the head chose at random. Off: the loop before issue 11.
   */
  requireAlignedLrf: boolean;
  /** Proposals per prompt iteration (each scored by the LRF: no system runs). */
  promptCandidates: number;
  /**
   * Demonstrations per demo set the prompt optimizer tries with its best instruction, chosen by the
   * LRF among the replay buffer's winning outputs (optimizers/demos.ts); 0: instructions only (the
   * reference's OPRO).
   */
  promptDemos: number;
  /**
   * Inputs in the component's local scoring pool (input-pool.ts): built once from upstream-only
   * runs on training examples, reused across iterations; capped by the training split's size.
   */
  localTrainSize: number;
  /** Samples of the component's output per pool input when scoring a candidate (distinct sample indices). */
  localSamples: number;
  /** "global": one best value for all inputs; "per-input": the LRF picks a value per input at run time. */
  searchMode: "global" | "per-input";
  /**
   * How the final component's candidates are scored: "lrf" (the method as stated) or
   * "global-metric" (the reference's shortcut, §7.5).
   */
  finalComponentScoring: "lrf" | "global-metric";
  policyEpochs: number;
  policySamples: number;
  policyLearningRate: number;
  /** Acceptance: the paired validation improvement must exceed this (0 with acceptStdErrors 0 = the reference's strict ">"). */
  acceptTolerance: number;
  /**
   * …and exceed this many standard errors of the per-example paired differences. Default 0: with
   * `valRepeats` passes the strict ">" already averages out single lucky draws (§7.3); one standard
   * error rejected real improvements too often on 20 validation examples (measured on the quick
   * preset over six systems, worlds 0–1: lower test scores in 6 of 10 cases, higher in 2).
   */
  acceptStdErrors: number;
  /**
   * The gate re-measures the incumbent (on each comparison's fresh passes) while it pools fewer
   * passes than this; after that its pooled mean stands and the runs go to candidates.
   */
  incumbentPassCap: number;
  /**
   * Sequential rejection: a candidate whose first validation pass is more than this many standard
   * errors below the incumbent (paired by example) is rejected without its other passes.
   */
  earlyRejectStdErrors: number;
  /** Turn the validation gate off (ablation): every candidate is accepted. */
  validationGate: boolean;
  /** Local reward: the learned LRF, or an LLM judge (`judge.score`) as an ablation. */
  localReward: "lrf" | "judge";
  concurrency: number;
  /** Model of the meta-skills (proposals, critiques); see MetaModels. */
  metaModel: string;
  /** Model of the LLM judge; see MetaModels. */
  judgeModel: string;
}

/** The knobs that have defaults: everything but the models, which the backend decides. */
export type OptimasKnobs = Omit<OptimasConfig, keyof MetaModels>;

export const DEFAULT_CONFIG: OptimasKnobs = {
  iterations: 20,
  initialTrainSize: 20,
  perIterationNewData: 10,
  valSize: 20,
  valRepeats: 3,
  numSamples: 3,
  numRollouts: 3,
  minGap: 0,
  pairRule: "all-ordered",
  groundTruthInjection: false,
  sampleTemperature: 0.7,
  lrfEpochs: 20,
  adaptEpochs: 2,
  lrfLearningRate: 1e-3,
  // Every usable pair at weight 1: min–max gave weight 0 to every pair with the smallest gap (1/3 on
  // rollout means, 56–76% of Amazon's and BigCodeBench's upstream pairs). Test, quick preset at the
  // 500-run cap, Amazon + STaRK worlds 0–2: none 0.7251, raw 0.7221, minmax 0.7184 (none − minmax
  // +0.0067 ± 0.0062 se over 6 cells; `npm run bench:local-choice`, ARCHITECTURE.md).
  marginMode: "none",
  adaptLrf: true,
  freshData: "always",
  replayBufferSize: 400,
  adaptTrainSize: 256,
  heldOutShare: 0.2,
  selection: "aligned-fresh-gap",
  selectionTemperature: 0.25,
  cooldown: 1,
  // One standard error (a one-sided 84% bound): pairs of one example are correlated, so the bound is
  // already optimistic, but at 1.645 quick runs (≤ 25 fresh pairs per turn) skipped 6 of 6
  // iterations on Amazon world 0 and 6 of 6 on STaRK world 0 (heads at 0.73 on 11 pairs included).
  alignmentZ: 1,
  selectionExploration: 0.05,
  explorationTurns: 2,
  requireAlignedLrf: true,
  // Issue 11: with 4 proposals on ≤ 20 inputs × 1 sample the head's first choice was the truly best
  // candidate in 0/7 (Amazon) to 3/20 (BigCodeBench) prompt iterations; 10 proposals on 60 inputs
  // lifted Amazon's 10-pass test 0.580 → 0.641. The LRF scores them all: no system runs.
  promptCandidates: 10,
  promptDemos: 4,
  localTrainSize: 60,
  localSamples: 2,
  searchMode: "global",
  finalComponentScoring: "lrf",
  policyEpochs: 20,
  policySamples: 4,
  policyLearningRate: 0.05,
  acceptTolerance: 0,
  acceptStdErrors: 0,
  incumbentPassCap: 9,
  earlyRejectStdErrors: 2,
  validationGate: true,
  localReward: "lrf",
  concurrency: 8,
};


/** Presets scale iteration counts; `paper` follows the reference configs where they are sound (§6.7). */
export const PRESETS: Record<Preset, Partial<OptimasKnobs>> = {
  // Quick keeps the full local breadth (proposals, pool, samples): it costs CPU, not system runs.
  quick: { iterations: 6, initialTrainSize: 16, perIterationNewData: 6, valSize: 20, lrfEpochs: 15, policyEpochs: 10 },
  paper: { iterations: 20, initialTrainSize: 20, perIterationNewData: 10, valSize: 20 },
};

/** Every knob: the defaults, the preset's values over them, then `overrides`. */
export function resolveKnobs(preset: Preset | undefined, overrides: Partial<OptimasKnobs> = {}): OptimasKnobs {
  for (const key of Object.keys(overrides)) {
    if (!(key in DEFAULT_CONFIG)) throw new Error(`unknown Optimas option "${key}" (see src/optimas/config.ts)`);
  }
  return { ...DEFAULT_CONFIG, ...(preset ? PRESETS[preset] : {}), ...overrides };
}

export function resolveConfig(preset: Preset | undefined, models: MetaModels, overrides: Partial<OptimasKnobs> = {}): OptimasConfig {
  return { ...resolveKnobs(preset, overrides), metaModel: models.metaModel, judgeModel: models.judgeModel };
}
