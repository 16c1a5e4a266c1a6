import type { Fields, Json } from "./json";
import type { Component, CallRecord } from "./component";
import type { RunContext } from "./context";
import type { Variable } from "./variable";
import { mapLimit } from "./concurrency";
import { mean, std, ci95 } from "./stats";
import type { FailureCounts } from "./failure";
import { rerunTransient, StageFailures } from "./run-failures";

/** One dataset row: a stable id (routed to SimLM's oracle) and its fields (inputs and ground truth). */
export interface Example {
  id: string;
  fields: Fields;
}

/** The global metric: final outputs against the example's ground truth, higher is better (async when it executes code). */
export type Metric = (prediction: Fields, example: Example) => number | Promise<number>;

export interface SystemSpec {
  name: string;
  /** Registration order must be a topological order of the field-name DAG (asserted). */
  components: Component[];
  /** Defaults to the last component's output fields. */
  finalOutputFields?: string[];
  metric: Metric;
  /** The ideal final outputs of an example (ground-truth injection during preference collection). */
  groundTruthOutputs?: (example: Example) => Fields;
}

export interface RunResult {
  /** The final output fields, read from the merged context. */
  outputs: Fields;
  /** Every field known after the run: example inputs and every component's outputs. */
  context: Fields;
  trace: CallRecord[];
}

export interface EvaluateOptions {
  repeats?: number;
  concurrency?: number;
  /** Called after each finished example, for progress displays. */
  onProgress?: (done: number, total: number) => void;
  /** Called with each run as it ends: its outputs and score, or the error that failed it (per-example tables). */
  onRun?: (run: FinishedRun) => void;
}

/** One run of an evaluation: example, pass, and what it gave, a scored run or the error that failed it (counted, never a score). */
export interface FinishedRun {
  example: Example;
  pass: number;
  outcome: ScoredRun | { error: unknown };
}

/** Scores of passes over examples; a failed run is null, left out of every mean (never a 0). */
export interface PassScores {
  /** Per-example mean over the passes that ran; null when every pass of the example failed. */
  perExample: (number | null)[];
  /** Mean of each pass over its examples that ran. */
  trialMeans: number[];
  /** Mean over passes of the trial means. */
  mean: number;
}

/** The mean of the scores of runs that ran (null marks a failed run); NaN when none ran. */
export function meanOfRan(xs: readonly (number | null)[]): number {
  return mean(ran(xs));
}

function ran(xs: readonly (number | null)[]): number[] {
  return xs.filter((x): x is number => x !== null);
}

export function summarizePasses(passes: readonly (readonly (number | null)[])[]): PassScores {
  const examples = passes[0]?.length ?? 0;
  const perExample = Array.from({ length: examples }, (_, i) => {
    const xs = ran(passes.map((p) => p[i] ?? null));
    return xs.length > 0 ? mean(xs) : null;
  });
  const trialMeans = passes.map(meanOfRan);
  return { perExample, trialMeans, mean: mean(trialMeans) };
}

/**
 * Mean paired gain of `after` over `before` on the examples both ran (the validation gate's
 * statistic), with the per-example differences it is computed from.
 */
export function pairedGain(after: readonly (number | null)[], before: readonly (number | null)[]): { diffs: number[]; gain: number } {
  const diffs = after.flatMap((a, i) => (a === null || before[i] === null || before[i] === undefined ? [] : [a - before[i]!]));
  return { diffs, gain: diffs.length > 0 ? mean(diffs) : 0 };
}

/** One scored system run; a run that failed is counted by its stage and has no score. */
export interface ScoredRun {
  score: number;
  result: RunResult;
}

export interface EvalResult extends PassScores {
  /** scores[r][i]: repeat r on example i; null for a run that failed (counted in `failureCounts`, left out of the means). */
  scores: (number | null)[][];
  /** Sample std of the trial means (0 with one repeat). */
  std: number;
  /** Half-width of the 95% t interval over per-example means. */
  ci95: number;
  n: number;
  repeats: number;
  /** Failed runs (all causes); `failureCounts` has them by cause, with parse failures and re-runs. */
  failures: number;
  failureCounts: FailureCounts;
}

export type StateDict = Record<string, { variable: Variable | null; config: Record<string, Json> }>;

export class CompoundSystem {
  readonly name: string;
  readonly components: readonly Component[];
  readonly finalOutputFields: readonly string[];
  /** Fields read from the dataset: consumed by some component, produced by none. */
  readonly requiredInputFields: readonly string[];
  readonly metric: Metric;
  readonly groundTruthOutputs: ((example: Example) => Fields) | undefined;
  private readonly byName = new Map<string, Component>();

  constructor(spec: SystemSpec) {
    if (spec.components.length === 0) throw new Error(`system "${spec.name}" has no components`);
    this.name = spec.name;
    this.components = [...spec.components];
    this.metric = spec.metric;
    this.groundTruthOutputs = spec.groundTruthOutputs;
    const producedBy = new Map<string, string>();
    for (const c of this.components) {
      if (this.byName.has(c.name)) throw new Error(`system "${spec.name}" registers component "${c.name}" twice`);
      this.byName.set(c.name, c);
      for (const f of c.outputFields) producedBy.set(f, c.name);
    }
    const seen = new Set<string>();
    const required: string[] = [];
    for (const c of this.components) {
      for (const f of c.inputFields) {
        const producer = producedBy.get(f);
        if (producer === undefined) {
          if (!required.includes(f)) required.push(f);
        } else if (!seen.has(producer)) {
          throw new Error(
            `system "${spec.name}": component "${c.name}" reads "${f}" from "${producer}", which is registered after it; register components in topological order`,
          );
        }
      }
      seen.add(c.name);
    }
    this.requiredInputFields = required;
    this.finalOutputFields = spec.finalOutputFields ?? [...this.components[this.components.length - 1]!.outputFields];
    for (const f of this.finalOutputFields) {
      if (!producedBy.has(f)) throw new Error(`system "${spec.name}": final output "${f}" is produced by no component`);
    }
  }

  component(name: string): Component {
    const c = this.byName.get(name);
    if (!c) throw new Error(`system "${this.name}" has no component "${name}" (it has: ${[...this.byName.keys()].join(", ")})`);
    return c;
  }

  indexOf(name: string): number {
    return this.components.indexOf(this.component(name));
  }

  get optimizableComponents(): Component[] {
    return this.components.filter((c) => c.optimizable);
  }

  /** Runs the whole system on one example (one global system run against the budget); `failures` counts its re-runs. */
  async run(example: Example, ctx: RunContext, failures?: FailureCounts): Promise<RunResult> {
    const inputs: Fields = {};
    for (const f of this.requiredInputFields) {
      if (!(f in example.fields)) throw new Error(`example "${example.id}" lacks field "${f}" that system "${this.name}" reads`);
      inputs[f] = example.fields[f]!;
    }
    return this.runFrom(0, inputs, ctx.withExample(example.id), failures);
  }

  /**
   * Runs components[start..] on a context that already holds every field they read (rollouts
   * re-run the downstream part of the system on frozen upstream outputs). Executing k of the n
   * components counts as k/n of a system run (the paper's equal-cost accounting; a whole run is 1),
   * however often a transient failure makes it run again (same sample indices; recorded in `failures`).
   */
  async runFrom(start: number, context: Fields, ctx: RunContext, failures?: FailureCounts): Promise<RunResult> {
    ctx.budget.reserve("systemRuns", this.runShare(start));
    return rerunTransient(
      () => this.runChain(start, context, ctx),
      () => failures?.recordRerun(),
    );
  }

  /** The share of a system run that executing components[start..] costs: (n − start) / n. */
  runShare(start: number): number {
    if (!(Number.isInteger(start) && start >= 0 && start < this.components.length)) throw new Error(`system "${this.name}": no component at index ${start} to run from`);
    return (this.components.length - start) / this.components.length;
  }

  private async runChain(start: number, context: Fields, ctx: RunContext): Promise<RunResult> {
    const merged: Fields = { ...context };
    const trace: CallRecord[] = [];
    for (const c of this.components.slice(start)) {
      const { outputs, record } = await c.call(merged, ctx);
      Object.assign(merged, outputs);
      trace.push(record);
    }
    const outputs: Fields = {};
    for (const f of this.finalOutputFields) outputs[f] = merged[f]!;
    return { outputs, context: merged, trace };
  }

  /**
   * The global metric of one example, counted in `stage`: a run or metric that throws is a counted
   * failure with no score (undefined); fatal and budget errors propagate.
   */
  async score(example: Example, ctx: RunContext, stage: StageFailures, onFailure?: (err: unknown) => void): Promise<ScoredRun | undefined> {
    stage.counts.recordRun();
    try {
      const result = await this.run(example, ctx, stage.counts);
      const score = await this.scoreOutputs(result.outputs, example);
      stage.recordParse(result.trace);
      return { score, result };
    } catch (err) {
      stage.record(err);
      ctx.tracer.event("failure", { exampleId: example.id, error: String(err) });
      onFailure?.(err);
      return undefined;
    }
  }

  async scoreOutputs(outputs: Fields, example: Example): Promise<number> {
    const s = await this.metric(outputs, example);
    if (!Number.isFinite(s)) throw new Error(`metric of system "${this.name}" returned ${s} for example "${example.id}"`);
    return s;
  }

  async evaluate(examples: readonly Example[], ctx: RunContext, options: EvaluateOptions = {}): Promise<EvalResult> {
    const repeats = options.repeats ?? 1;
    if (!(Number.isInteger(repeats) && repeats >= 1)) throw new Error(`repeats must be a positive integer (got ${repeats})`);
    if (examples.length === 0) throw new Error(`cannot evaluate system "${this.name}" on an empty dataset`);
    const jobs = Array.from({ length: repeats }, (_, r) => examples.map((ex) => ({ r, ex }))).flat();
    const stage = new StageFailures(ctx.stage, ctx.lm.providerId, jobs.length);
    let done = 0;
    const flat = await mapLimit(jobs, options.concurrency ?? 8, async ({ r, ex }) => {
      const scored = await this.score(ex, ctx.withSample(ctx.sampleIndex + r), stage, (error) => options.onRun?.({ example: ex, pass: r, outcome: { error } }));
      if (scored) options.onRun?.({ example: ex, pass: r, outcome: scored });
      options.onProgress?.(++done, jobs.length);
      return scored?.score ?? null;
    });
    const failureCounts = stage.finish();
    const scores = Array.from({ length: repeats }, (_, r) => flat.slice(r * examples.length, (r + 1) * examples.length));
    const passes = summarizePasses(scores);
    return { scores, ...passes, std: std(passes.trialMeans), ci95: ci95(ran(passes.perExample)), n: examples.length, repeats, failures: failureCounts.failedTotal, failureCounts };
  }

  stateDict(): StateDict {
    const out: StateDict = {};
    for (const c of this.components) {
      out[c.name] = { variable: c.variable ? (JSON.parse(JSON.stringify(c.variable)) as Variable) : null, config: { ...c.config } };
    }
    return out;
  }

  loadStateDict(state: StateDict): void {
    for (const [name, entry] of Object.entries(state)) {
      const c = this.component(name);
      if (entry.variable) c.update(entry.variable);
      c.updateConfig(entry.config);
    }
  }
}
