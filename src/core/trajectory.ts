import * as fs from "node:fs";
import Papa from "papaparse";
import type { BudgetSpent } from "./budget";
import type { RunDir } from "./run-dir";
import type { StateDict } from "./system";

/**
 * One trajectory schema for every method (Optimas, its ablations, each baseline): `trajectory.csv`
 * has a row per step with what the method had spent by the end of it, the validation it ran and
 * the incumbent it kept. Row 0 is the start (the initial validation). Budget curves, the incumbent
 * at each system-run cap and the test scores at caps are read from these rows, whatever the method.
 *
 * Each incumbent (the state a method would return if stopped now) is saved once, when it is
 * accepted, under `incumbents/<id>.json`, so the incumbent at any cap can be test-scored later.
 */

export const TRAJECTORY_FILE = "trajectory.csv";

/** The column order of trajectory.csv. */
export const TRAJECTORY_COLUMNS = ["step", "system_runs", "validation_runs", "llm_calls", "tokens", "cost_usd", "val_score", "incumbent_val", "accepted", "incumbent"] as const;

export interface TrajectoryRow {
  step: number;
  /** Cumulative system runs of the method's optimization (fractional: k of n components cost k/n). */
  system_runs: number;
  /** Cumulative validation runs among them (the gate's whole-system runs). */
  validation_runs: number;
  llm_calls: number;
  tokens: number;
  cost_usd: number;
  /** Validation score of what this step validated (null when it validated nothing). */
  val_score: number | null;
  /** Validation score of the incumbent after the step. */
  incumbent_val: number | null;
  accepted: boolean;
  /** Id of the incumbent after the step: "initial", or "step-<k>" for the state step k accepted. */
  incumbent: string;
}

export const INITIAL_INCUMBENT = "initial";

export function incumbentId(step: number): string {
  return step === 0 ? INITIAL_INCUMBENT : `step-${step}`;
}

/** A row from the method's spend after the step and what the step validated and kept. */
export function trajectoryRow(
  step: number,
  spent: BudgetSpent,
  validationRuns: number,
  gate: { valScore: number | null; incumbentVal: number | null; accepted: boolean; incumbent: string },
): TrajectoryRow {
  return {
    step,
    system_runs: spent.systemRuns,
    validation_runs: validationRuns,
    llm_calls: spent.llmCalls,
    tokens: spent.tokens,
    cost_usd: spent.costUsd,
    val_score: gate.valScore,
    incumbent_val: gate.incumbentVal,
    accepted: gate.accepted,
    incumbent: gate.incumbent,
  };
}

function cell(value: TrajectoryRow[keyof TrajectoryRow]): string {
  if (value === null) return "";
  if (typeof value === "boolean") return value ? "1" : "0";
  return String(value);
}

export function trajectoryCsv(rows: readonly TrajectoryRow[]): string {
  return [TRAJECTORY_COLUMNS.join(","), ...rows.map((r) => TRAJECTORY_COLUMNS.map((c) => cell(r[c])).join(","))].join("\n") + "\n";
}

/** Rewrites trajectory.csv with every row so far (a resume rewrites it from its checkpoint's rows). */
export function writeTrajectory(runDir: RunDir, rows: readonly TrajectoryRow[]): void {
  runDir.writeText(TRAJECTORY_FILE, trajectoryCsv(rows));
}

/** The rows of a run's trajectory.csv. */
export function readTrajectory(runDir: RunDir): TrajectoryRow[] {
  const file = runDir.file(TRAJECTORY_FILE);
  if (!fs.existsSync(file)) throw new Error(`${file}: missing; the method wrote no trajectory (a run directory from before trajectories: rerun it in a new --out)`);
  const text = fs.readFileSync(file, "utf8");
  const parsed = Papa.parse<Record<string, string>>(text.trim(), { header: true, skipEmptyLines: true });
  const num = (v: string | undefined) => (v === undefined || v === "" ? null : Number(v));
  return parsed.data.map((r) => ({
    step: num(r.step)!,
    system_runs: num(r.system_runs)!,
    validation_runs: num(r.validation_runs)!,
    llm_calls: num(r.llm_calls)!,
    tokens: num(r.tokens)!,
    cost_usd: num(r.cost_usd)!,
    val_score: num(r.val_score),
    incumbent_val: num(r.incumbent_val),
    accepted: r.accepted === "1",
    incumbent: r.incumbent ?? INITIAL_INCUMBENT,
  }));
}

/** What a method needs to run an incumbent again: its state, and the components chosen per input (Optimas). */
export interface IncumbentState {
  stateDict: StateDict;
  perInput?: string[];
}

function incumbentFile(id: string): string {
  return `incumbents/${id}.json`;
}

export function saveIncumbent(runDir: RunDir, id: string, state: IncumbentState): void {
  runDir.write(incumbentFile(id), state);
}

export function loadIncumbent(runDir: RunDir, id: string): IncumbentState {
  return runDir.read<IncumbentState>(incumbentFile(id), `incumbent ${id}`);
}

/**
 * The incumbent a method held at a system-run cap: the one after its last step that ended within
 * the cap (a step that crossed the cap could not have finished under it); the start's (the
 * unoptimized system) when not even the start fits.
 */
export function incumbentAtCap(rows: readonly TrajectoryRow[], cap: number): TrajectoryRow {
  if (rows.length === 0) throw new Error("a trajectory has at least its start row");
  let last = rows[0]!;
  for (const r of rows) if (r.system_runs <= cap) last = r;
  return last;
}
