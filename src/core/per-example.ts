import Papa from "papaparse";
import type { Fields, Json } from "./json";
import type { RunContext } from "./context";
import type { CompoundSystem, Example, FinishedRun } from "./system";
import { failureCauseOf } from "./failure";
import { measureTestScore, type TestScore, type TestScoreOptions } from "./test-score";

/**
 * Per-example evaluation, one row per example (as DSPy's `Evaluate(display_table=…)` shows): what
 * went in, what came out, the gold answer and the score. The runs are those of the test-score
 * definition (core/test-score.ts: the same passes at the same sample indices), so the rows and the
 * score agree. A run that failed has no score: its example's score is the mean over the passes that
 * ran (empty when none did) and the row says why the others failed.
 *
 * The columns (EXAMPLE_COLUMNS, stable: `optimas eval --csv` writes them and the frames read them):
 *
 * | column | what |
 * |---|---|
 * | `id` | the example's id |
 * | `inputs` | the fields the system reads, each shortened to INPUT_CHARS characters |
 * | `output` | the system's final output fields, from the first pass that ran (empty when none ran) |
 * | `gold` | the ground-truth final outputs (the system's `groundTruthOutputs`, else the example's fields the system does not read) |
 * | `score` | the mean over the passes that ran (empty when none ran) |
 * | `pass_scores` | each pass's score as a JSON array, `null` for a failed run |
 * | `failed_passes` | how many passes failed |
 * | `failure` | `<cause>: <first line of the error>` of the first failed pass (empty when none failed) |
 *
 * Several fields are written `name: value`, one per line; a field that is not a string as JSON.
 */
export const EXAMPLE_COLUMNS = ["id", "inputs", "output", "gold", "score", "pass_scores", "failed_passes", "failure"] as const;

export interface ExampleRow {
  id: string;
  inputs: string;
  output: string;
  gold: string;
  score: number | null;
  pass_scores: string;
  failed_passes: number;
  failure: string;
}

export interface PerExampleEvaluation {
  rows: ExampleRow[];
  /** The test score of the same runs. */
  score: TestScore;
}

/** Characters of each input field in the `inputs` summary. */
export const INPUT_CHARS = 160;

function text(value: Json | undefined): string {
  return typeof value === "string" ? value : JSON.stringify(value ?? null);
}

function shorten(s: string, max: number): string {
  const flat = s.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** One field as its text; several as `name: value` lines. */
export function formatFields(fields: Fields, names: readonly string[], max = Infinity): string {
  const one = (name: string) => (max === Infinity ? text(fields[name]) : shorten(text(fields[name]), max));
  return names.length === 1 ? one(names[0]!) : names.map((n) => `${n}: ${one(n)}`).join("\n");
}

function goldOf(system: CompoundSystem, example: Example): string {
  if (system.groundTruthOutputs) {
    const gold = system.groundTruthOutputs(example);
    return formatFields(gold, Object.keys(gold));
  }
  return formatFields(example.fields, Object.keys(example.fields).filter((f) => !system.requiredInputFields.includes(f)));
}

function failureLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return `${failureCauseOf(error)}: ${message.split("\n")[0]!.trim()}`;
}

/** Evaluates `examples` as the test score does (options.passes, default TEST_PASSES) and returns one row per example with that score. */
export async function evaluateExamples(system: CompoundSystem, examples: readonly Example[], ctx: RunContext, options: TestScoreOptions = {}): Promise<PerExampleEvaluation> {
  const runs = new Map<Example, FinishedRun[]>();
  const score = await measureTestScore(system, examples, ctx, {
    ...options,
    onRun: (run) => {
      runs.set(run.example, [...(runs.get(run.example) ?? []), run]);
      options.onRun?.(run);
    },
  });
  const rows = examples.map((example, i): ExampleRow => {
    const byPass = [...(runs.get(example) ?? [])].sort((a, b) => a.pass - b.pass);
    const ran = byPass.flatMap((r) => ("score" in r.outcome ? [r.outcome] : []));
    const failed = byPass.flatMap((r) => ("error" in r.outcome ? [r.outcome.error] : []));
    return {
      id: example.id,
      inputs: formatFields(example.fields, system.requiredInputFields, INPUT_CHARS),
      output: ran.length > 0 ? formatFields(ran[0]!.result.outputs, system.finalOutputFields) : "",
      gold: goldOf(system, example),
      score: score.perExample[i] ?? null,
      pass_scores: JSON.stringify(score.evaluation.scores.map((pass) => pass[i] ?? null)),
      failed_passes: failed.length,
      failure: failed.length > 0 ? failureLine(failed[0]) : "",
    };
  });
  return { rows, score };
}

/** The rows as CSV with EXAMPLE_COLUMNS as its header (a missing score is an empty cell, never 0). */
export function examplesCsv(rows: readonly ExampleRow[]): string {
  return `${Papa.unparse({ fields: [...EXAMPLE_COLUMNS], data: rows.map((r) => EXAMPLE_COLUMNS.map((c) => r[c])) }, { newline: "\n" })}\n`;
}
