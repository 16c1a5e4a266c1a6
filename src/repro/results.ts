import * as path from "node:path";
import Papa from "papaparse";
import { RunDir } from "../core/run-dir";
import { formatSettings } from "../systems/settings";
import { JUDGE_ACCURACY_FILE, type JudgeAccuracy } from "./judge-accuracy";
import { STOPPED_FILE, type CapScore, type OptimizeSummary } from "./optimize-job";
import { isComplete, type RunCell } from "./plan";

/** One row of results.csv: a (system, method, seed, world) cell as its run directory records it. */

export type RunStatus = "finished" | "stopped" | "budget" | "n/a" | "failed" | "pending";

export interface ResultRow {
  system: string;
  method: string;
  seed: number;
  world: number;
  /** The system's settings, "name=value; …" (empty for a system without settings). */
  settings: string;
  status: RunStatus | string;
  test_mean: number | null;
  test_std: number | null;
  test_before: number | null;
  val_before: number | null;
  val_after: number | null;
  system_runs: number | null;
  llm_calls: number | null;
  tokens: number | null;
  cost_usd: number | null;
  /** What the test evaluations spent (before and after), apart from the method's spend above. */
  test_system_runs: number | null;
  test_llm_calls: number | null;
  test_tokens: number | null;
  test_cost_usd: number | null;
  /** Standard error of test_mean over examples and the passes it averages (core/test-score.ts). */
  test_se: number | null;
  test_passes: number | null;
  meta_model: string | null;
  judge_model: string | null;
  lrf_pair_accuracy: number | null;
  judge_pair_accuracy: number | null;
  iterations: number | null;
  accepted: number | null;
  /** Failed system runs over every stage (never scored); result.json's `failures` has them by stage and cause. */
  failed_runs: number | null;
  /** Runs whose model reply could not be parsed (scored 0). */
  parse_failures: number | null;
  wall_s: number | null;
  backend: string | null;
  tf_backend: string | null;
  /** The test score of the incumbent at each system-run cap, "250=0.6123;500=0.6301" (empty without caps). */
  test_at_caps: string;
  run_dir: string;
  note: string;
}

export const RESULT_COLUMNS: readonly (keyof ResultRow)[] = [
  "system", "method", "seed", "world", "settings", "status", "test_mean", "test_std", "test_before", "val_before", "val_after",
  "system_runs", "llm_calls", "tokens", "cost_usd",
  "test_system_runs", "test_llm_calls", "test_tokens", "test_cost_usd", "test_se", "test_passes", "meta_model", "judge_model", "lrf_pair_accuracy", "judge_pair_accuracy", "iterations", "accepted",
  "failed_runs", "parse_failures", "wall_s", "backend", "tf_backend", "test_at_caps", "run_dir", "note",
];

/** Columns that differ between two runs of the same suite (machine load); everything else must not. */
export const WALL_TIME_COLUMNS: readonly (keyof ResultRow)[] = ["wall_s"];

/** Written into a run directory whose run failed; the next suite run retries it. */
export const ERROR_FILE = "error.json";

/** A row whose last run threw: its note holds the error's first line. */
export function hasFailed(row: ResultRow): boolean {
  return row.status === "failed";
}

/** Rows that hold a result (finished, stopped by a STOP file, or out of budget). */
export function hasResult(row: ResultRow): row is ResultRow & { test_mean: number } {
  return row.test_mean !== null;
}

export function readResultRow(cell: RunCell, outDir: string): ResultRow {
  const dir = new RunDir(cell.dir);
  const empty: ResultRow = {
    system: cell.system, method: cell.method, seed: cell.seed, world: cell.world, settings: formatSettings(cell.settings), status: "pending",
    test_mean: null, test_std: null, test_before: null, val_before: null, val_after: null,
    system_runs: null, llm_calls: null, tokens: null, cost_usd: null,
    test_system_runs: null, test_llm_calls: null, test_tokens: null, test_cost_usd: null, test_se: null, test_passes: null, meta_model: null, judge_model: null,
    lrf_pair_accuracy: null, judge_pair_accuracy: null,
    iterations: null, accepted: null, failed_runs: null, parse_failures: null, wall_s: null, backend: null, tf_backend: null, test_at_caps: "",
    // Relative, so results.csv is the same on every machine.
    run_dir: path.relative(outDir, cell.dir).split(path.sep).join("/"),
    note: "",
  };
  if (cell.notApplicable) return { ...empty, status: "n/a", run_dir: "", note: cell.notApplicable };
  // A fatal error stopped it resumably: the row says so with the error's line, whatever else the directory holds.
  if (dir.exists(STOPPED_FILE)) return { ...empty, status: "stopped", note: dir.read<{ error: string }>(STOPPED_FILE, "fatal stop").error };
  if (dir.exists(ERROR_FILE)) return { ...empty, status: "failed", note: dir.read<{ error: string }>(ERROR_FILE, "run error").error.split("\n")[0]! };
  // The planner's rule decides completeness, so a row never says "finished" for a run the next call re-runs
  // (a judge ablation killed between its result and its judge measurement).
  if (!isComplete(cell)) {
    return { ...empty, note: dir.exists("checkpoint.json") ? "interrupted; resumes from its checkpoint" : "not started" };
  }
  const r = dir.read<OptimizeSummary>("result.json", "run result");
  const judge = dir.exists(JUDGE_ACCURACY_FILE) ? dir.read<JudgeAccuracy>(JUDGE_ACCURACY_FILE, "judge pair accuracy") : undefined;
  return {
    ...empty,
    status: r.status,
    test_mean: r.test_after,
    test_std: r.test_std_after,
    test_before: r.test_before,
    val_before: r.val_before,
    val_after: r.val_after,
    system_runs: r.system_runs,
    llm_calls: r.llm_calls,
    tokens: r.tokens,
    cost_usd: r.cost_usd,
    // Absent from results written before test spend, the test-score definition and meta-models were recorded.
    test_system_runs: r.test_system_runs ?? null,
    test_llm_calls: r.test_llm_calls ?? null,
    test_tokens: r.test_tokens ?? null,
    test_cost_usd: r.test_cost_usd ?? null,
    test_se: r.test_se_after ?? null,
    test_passes: r.test_passes ?? null,
    meta_model: r.meta_model ?? null,
    judge_model: r.judge_model ?? null,
    lrf_pair_accuracy: r.lrf_pair_accuracy,
    judge_pair_accuracy: judge?.accuracy ?? null,
    iterations: r.iterations,
    accepted: r.accepted,
    // Absent from results written before failures were counted.
    failed_runs: r.failed_runs ?? null,
    parse_failures: r.parse_failures ?? null,
    wall_s: typeof r.wall_s === "number" ? r.wall_s : null,
    backend: r.backend,
    tf_backend: typeof r.tf_backend === "string" ? r.tf_backend : null,
    test_at_caps: formatCapScores((r.test_at_caps as CapScore[] | undefined) ?? []),
  };
}

function formatCapScores(scores: readonly CapScore[]): string {
  return scores.map((c) => `${c.cap}=${c.test}`).join(";");
}

/** A row's test score at each cap (results.csv's `test_at_caps`). */
export function capScoresOf(row: Pick<ResultRow, "test_at_caps">): Map<number, number> {
  if (row.test_at_caps === "") return new Map();
  return new Map(row.test_at_caps.split(";").map((pair) => pair.split("=").map(Number) as [number, number]));
}

/**
 * The rows as they stood at one system-run cap: each run's test score is its incumbent's at the
 * cap (a run without that cap has no result there), so the suite's aggregation applies unchanged.
 */
export function rowsAtCap(rows: readonly ResultRow[], cap: number): ResultRow[] {
  return rows.map((r) => (hasResult(r) ? { ...r, test_mean: capScoresOf(r).get(cap) ?? null } : r));
}

export function resultsCsv(rows: readonly ResultRow[]): string {
  return `${Papa.unparse({ fields: [...RESULT_COLUMNS], data: rows.map((r) => RESULT_COLUMNS.map((c) => r[c])) }, { newline: "\n" })}\n`;
}
