import * as fs from "node:fs";
import * as path from "node:path";
import * as aq from "arquero";
import { TRAJECTORY_COLUMNS, TRAJECTORY_FILE, trajectoryCsv, type TrajectoryRow } from "../core/trajectory";
import { csvTable, readCsvTable, type ColumnTypes } from "./csv";
import { loadSuite } from "./suite";

/**
 * Trajectories (core/trajectory.ts: one schema for every method) as arquero tables: a step per row
 * with the spend so far, the validation it ran and the incumbent it kept. `val_score` is null on a
 * step that validated nothing, never 0.
 */

const TRAJECTORY_TYPES: ColumnTypes = {
  ...Object.fromEntries(TRAJECTORY_COLUMNS.map((c) => [c, "number"])),
  accepted: "boolean",
  incumbent: "text",
};

/** Rows in memory (a method's trajectory) as the table its trajectory.csv reads back to. */
export function trajectoryTable(rows: readonly TrajectoryRow[]): aq.ColumnTable {
  return csvTable(trajectoryCsv(rows), TRAJECTORY_TYPES, "trajectory rows");
}

/** A run directory's trajectory.csv. */
export function loadTrajectory(runDir: string): aq.ColumnTable {
  return readCsvTable(path.join(runDir, TRAJECTORY_FILE), TRAJECTORY_TYPES);
}

/**
 * Every run of a suite that wrote a trajectory, stacked: system, method, seed, world, then the
 * trajectory's columns (budget curves: one line per run, `groupby("system", "method")` per panel).
 */
export function suiteTrajectories(suiteDir: string): aq.ColumnTable {
  const runs = loadSuite(suiteDir)
    .filter(aq.escape((d: { run_dir: string | null }) => d.run_dir !== null && fs.existsSync(path.join(suiteDir, d.run_dir, TRAJECTORY_FILE))))
    .objects() as { system: string; method: string; seed: number; world: number; run_dir: string }[];
  const keyed = runs.map((r) => loadTrajectory(path.join(suiteDir, r.run_dir)).derive({ system: aq.escape(() => r.system), method: aq.escape(() => r.method), seed: aq.escape(() => r.seed), world: aq.escape(() => r.world) }));
  const order = ["system", "method", "seed", "world", ...TRAJECTORY_COLUMNS];
  if (keyed.length === 0) return aq.table(Object.fromEntries(order.map((c) => [c, []])), order);
  return keyed[0]!.concat(...keyed.slice(1)).select(order);
}
