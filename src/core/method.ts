import type { RunContext } from "./context";
import type { CompoundSystem, Example } from "./system";
import type { RunDir } from "./run-dir";
import { validationSample } from "./sample-indices";
import type { MethodOptions } from "./method-options";

/**
 * Sample index of the first validation pass (pass r uses this + r), the same for every method:
 * every method's first validation (its initial score) draws the same passes; the gate
 * (core/gate.ts) then draws fresh passes after these.
 */
export const VALIDATION_SAMPLE_INDEX = validationSample(0);

/** Suite presets: `quick` (minutes, one seed, world 0) and `paper` (reference iteration counts). */
export type Preset = "quick" | "paper";

/**
 * The models behind the meta-skills, resolved per backend by the runner (never a silent default:
 * a SimLM name sent to a real endpoint would fail or bill the wrong model).
 */
export interface MetaModels {
  /** Writes OPRO/MIPRO/Optimas instruction proposals and TextGrad critiques and edits. */
  metaModel: string;
  /** Scores outputs for the LLM-judge ablation and its pair accuracy. */
  judgeModel: string;
}

/**
 * What every optimization method (Optimas, its ablations, each baseline) implements, so the
 * runner gives them the same system, data, budget and run directory and scores them the same way.
 */
export interface MethodArgs<S = object> {
  system: CompoundSystem;
  train: readonly Example[];
  val: readonly Example[];
  /** Charges the method's budget (shared caps for every method of a suite). */
  ctx: RunContext;
  preset: Preset;
  /** The method's full configuration: its preset's settings with the user's options applied (`Method.resolveOptions`). */
  options: S;
  /** The meta-skill models every proposing, critiquing or judging method uses (the same for all). */
  models: MetaModels;
  runDir: RunDir;
  /**
   * The comparison's shared system-run cap, when one is set: the method runs until its budget
   * refuses at this cap (its own step counts no longer end it) and writes trajectory.csv
   * (core/trajectory.ts), from which the incumbent at each smaller cap is read.
   */
  runCap?: number;
  /** Progress lines for the CLI. */
  log: (line: string) => void;
}

export interface MethodOutcome {
  /** Context to evaluate the optimized system with (carries per-input selectors, if any). */
  evalCtx: RunContext;
  status: "finished" | "stopped" | "budget" | "not-applicable";
  valBefore: number | null;
  valAfter: number | null;
  iterations: number;
  accepted: number;
  /** LRF pair accuracy on held-out pairs (Optimas variants), or null. */
  lrfPairAccuracy: number | null;
  /** Anything else worth keeping in result.json (tf backend, notes). */
  extra?: Record<string, unknown>;
}

/**
 * What a method is in the comparison (protocol: gain = Optimas over the best baseline):
 * - `baseline`: a baseline of the paper's comparison (unoptimized counts), the set its 11.92% is
 *   measured against;
 * - `extra-baseline`: a baseline this project adds (the paper's table lacks it); suites also
 *   report the gain over every baseline, extras included;
 * - `optimas` and `ablation`: Optimas and its own ablations, never baselines.
 */
export type MethodRole = "optimas" | "ablation" | "baseline" | "extra-baseline";

export interface Method<S extends object = object> {
  id: string;
  title: string;
  role: MethodRole;
  /** One line naming the source method and what was adapted (shown in summaries). */
  source: string;
  /** null when it applies; otherwise why not (reported as "n/a", never run). */
  notApplicable(system: CompoundSystem): string | null;
  /**
   * The method's full configuration for a preset with `options` applied: every key, defaults
   * included (what config.json records). An unknown key or a wrongly typed value throws an
   * OptionError (core/method-options.ts) naming the method, the key and the accepted values.
   */
  resolveOptions(preset: Preset, options: MethodOptions): S;
  run(args: MethodArgs<S>): Promise<MethodOutcome>;
}
