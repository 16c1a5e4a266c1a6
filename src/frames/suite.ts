import * as fs from "node:fs";
import * as path from "node:path";
import * as aq from "arquero";
import { readCsvTable, type ColumnTypes } from "./csv";

/**
 * A suite's results.csv (repro/results.ts writes it) as an arquero table, one row per
 * (system, method, seed, world) cell. Text columns are text; every other column is a number, and a
 * cell without a value (a pending, failed or n/a run's scores) is null, never 0, so
 * `groupby("method").rollup({ m: op.mean("test_mean") })` averages the runs that have a score.
 * The `status` column keeps "n/a" as a status (the method does not apply to the system).
 */

export const RESULTS_FILE = "results.csv";

/** results.csv's text columns; the others are numbers. */
export const SUITE_TEXT_COLUMNS = ["system", "method", "settings", "status", "meta_model", "judge_model", "backend", "tf_backend", "test_at_caps", "run_dir", "note"] as const;

const SUITE_TYPES: ColumnTypes = Object.fromEntries(SUITE_TEXT_COLUMNS.map((c) => [c, "text"]));

/** `dir` is a suite's output folder (or its results.csv). */
export function loadSuite(dir: string): aq.ColumnTable {
  const file = fs.existsSync(dir) && fs.statSync(dir).isDirectory() ? path.join(dir, RESULTS_FILE) : dir;
  return readCsvTable(file, SUITE_TYPES, "number");
}

/**
 * Each run's test score at each system-run cap (results.csv's `test_at_caps`, "250=0.61;500=0.63"),
 * one row per run and cap: system, method, seed, world, cap, test. Runs without caps have no rows.
 */
export function capScores(suite: aq.ColumnTable): aq.ColumnTable {
  return suite
    .filter(aq.escape((d: { test_at_caps: string | null }) => d.test_at_caps !== null))
    .derive({ pair: aq.escape((d: { test_at_caps: string }) => d.test_at_caps.split(";")) })
    .unroll("pair")
    .derive({
      cap: aq.escape((d: { pair: string }) => Number(d.pair.split("=")[0])),
      test: aq.escape((d: { pair: string }) => Number(d.pair.split("=")[1])),
    })
    .select("system", "method", "seed", "world", "cap", "test");
}
