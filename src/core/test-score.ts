import type { RunContext } from "./context";
import type { CompoundSystem, EvalResult, EvaluateOptions, Example } from "./system";
import { ci95, mean, std } from "./stats";
import { testSample } from "./sample-indices";

/**
 * The one definition of a test score, used by `eval`, `optimize`, suites and notebooks:
 *
 * - `TEST_PASSES` passes over the examples; pass p draws at sample index `testSample(p)`.
 *   The indices are fixed, so the score before and after optimizing are paired draw for draw and a
 *   cell gives the same number from every command; and they are fresh: the test range of
 *   core/sample-indices.ts is apart from every range a method draws from while optimizing.
 * - The score is the mean over examples of each example's mean over passes. A run that failed
 *   (core/failure.ts) has no score and is left out of its example's mean; an example none of whose
 *   passes ran is left out of the score, and the evaluation's failure counts say so.
 * - Its uncertainty is over examples: `sd` of the per-example means, `se = sd / √n`, `ci95` the
 *   95% Student-t half-width. The example is the sampling unit (the test split is a sample of the
 *   task); each per-example mean already averages the passes' sampling noise, so this interval
 *   covers both sources, where a spread over passes would only see the sampling noise.
 */

export const TEST_SAMPLE_INDEX = testSample(0);

/**
 * Five passes: one draw per example lets a single lucky sample decide a score, and a state's
 * validation passes can be lucky too (the issue-11 reading found a 3-pass 0.733 whose 30-pass value
 * was 0.595), so the test averages more draws than a gate decision does.
 */
export const TEST_PASSES = 5;

export interface TestScore {
  mean: number;
  /** Sample standard deviation of the per-example means. */
  sd: number;
  /** Standard error of `mean`: sd / √n. */
  se: number;
  /** Half-width of the 95% t interval of `mean`. */
  ci95: number;
  /** Examples with a score (every example unless all passes of one failed). */
  n: number;
  passes: number;
  /** Each example's mean over its passes that ran, in example order (null: none ran). */
  perExample: (number | null)[];
  /** The underlying evaluation (per-pass scores, failure counts). */
  evaluation: EvalResult;
}

export interface TestScoreOptions {
  /** Passes over the examples (default TEST_PASSES; `eval --repeats` may change it, records say which). */
  passes?: number;
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
  /** Each run as it ends (core/per-example.ts builds its table from them). */
  onRun?: EvaluateOptions["onRun"];
}

export async function measureTestScore(system: CompoundSystem, examples: readonly Example[], ctx: RunContext, options: TestScoreOptions = {}): Promise<TestScore> {
  const passes = options.passes ?? TEST_PASSES;
  const evaluation = await system.evaluate(examples, ctx.withSample(TEST_SAMPLE_INDEX), { repeats: passes, concurrency: options.concurrency, onProgress: options.onProgress, onRun: options.onRun });
  const scored = evaluation.perExample.filter((x): x is number => x !== null);
  const sd = std(scored);
  return { mean: mean(scored), sd, se: sd / Math.sqrt(scored.length), ci95: ci95(scored), n: scored.length, passes, perExample: evaluation.perExample, evaluation };
}
