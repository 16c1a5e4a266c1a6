import type { Overrides, RunContext } from "../core/context";
import { mapLimit } from "../core/concurrency";
import { stableStringify } from "../core/json";
import type { FailureCounts } from "../core/failure";
import { StageFailures } from "../core/run-failures";
import { summarizePasses, type CompoundSystem, type Example, type RunResult } from "../core/system";

/**
 * Scores system states with the global metric: one full system run per (state, example, pass),
 * pass r at sample index `first + r` (default `sampleIndex + r`), aggregated exactly as `CompoundSystem.evaluate` does.
 * A state is the effective variables and configs of every component under the given overrides; a
 * (state, example, pass) already scored is not run again, as a response cache would answer it, so
 * re-validating the incumbent or re-scoring a repeated candidate costs nothing. A run that failed
 * is counted in the scorer's stage and left out of the means.
 */
export interface ScoredRun {
  score: number;
  result: RunResult;
}

export interface Scores {
  /** Per-example mean over passes, in example order; null when every pass of the example failed. */
  perExample: (number | null)[];
  /** Mean over passes of each pass's mean (CompoundSystem.evaluate's `mean`). */
  mean: number;
  /** passes[r][i]: pass r on example i; null for a run that failed. */
  passes: (number | null)[][];
}

export class GlobalScorer {
  private readonly memo = new Map<string, number | null>();

  constructor(
    private readonly system: CompoundSystem,
    private readonly ctx: RunContext,
    private readonly options: { sampleIndex: number; stage: string; concurrency: number; repeats?: number },
    /** Where the scorer's runs and failures are counted: its calls are parts of one stage for the fatal checks. */
    readonly failures: FailureCounts,
  ) {}

  /** The global metric of the system under `overrides` on `examples`, over `repeats` passes from sample index `first`. */
  async evaluate(examples: readonly Example[], overrides: Overrides = {}, repeats = this.options.repeats ?? 1, first = this.options.sampleIndex): Promise<Scores> {
    const ctx = this.context(overrides);
    const state = this.stateKey(ctx);
    const jobs = Array.from({ length: repeats }, (_, r) => examples.map((example) => ({ r, example }))).flat();
    const stage = this.stage(jobs.length);
    const flat = await mapLimit(jobs, this.options.concurrency, async ({ r, example }) => {
      const key = `${state}\u0000${example.id}\u0000${first + r}`;
      const known = this.memo.get(key);
      if (known !== undefined) return known;
      const score = (await this.system.score(example, ctx.withSample(first + r), stage))?.score ?? null;
      this.memo.set(key, score);
      return score;
    });
    stage.finish();
    const passes = Array.from({ length: repeats }, (_, r) => flat.slice(r * examples.length, (r + 1) * examples.length));
    const { perExample, mean } = summarizePasses(passes);
    return { perExample, mean, passes };
  }

  /** One pass that runs every example (no memory, as traces are needed) and returns the runs that did not fail. */
  async traces(examples: readonly Example[], overrides: Overrides = {}): Promise<ScoredRun[]> {
    const ctx = this.context(overrides);
    const state = this.stateKey(ctx);
    const stage = this.stage(examples.length);
    const runs = await mapLimit(examples, this.options.concurrency, async (example) => {
      const scored = await this.system.score(example, ctx.withSample(this.options.sampleIndex), stage);
      this.memo.set(`${state}\u0000${example.id}\u0000${this.options.sampleIndex}`, scored?.score ?? null);
      return scored;
    });
    stage.finish();
    return runs.filter((r): r is ScoredRun => r !== undefined);
  }

  private stage(plannedRuns: number): StageFailures {
    return new StageFailures(this.options.stage, this.ctx.lm.providerId, plannedRuns, this.failures);
  }

  private context(overrides: Overrides): RunContext {
    return this.ctx.withOverrides(overrides).withStage(this.options.stage);
  }

  private stateKey(ctx: RunContext): string {
    return stableStringify(this.system.components.map((c) => [c.name, c.resolve(ctx)]));
  }
}
