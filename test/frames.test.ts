/**
 * The dataframe helpers (src/frames/): results.csv, trajectories, per-example evaluations and LRF
 * pair sets as arquero tables with typed columns, missing values null and skipped by aggregates,
 * never counted as 0 (the trap a danfo mean over results.csv fell into).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as aq from "arquero";
import { capScores, loadSuite, SUITE_TEXT_COLUMNS } from "../src/frames/suite";
import { csvTable } from "../src/frames/csv";
import { loadTrajectory, suiteTrajectories, trajectoryTable } from "../src/frames/trajectory";
import { examplesTable, loadExamples } from "../src/frames/examples";
import { loadPairs, PAIR_COLUMNS } from "../src/frames/pairs";
import { RESULT_COLUMNS, resultsCsv, type ResultRow } from "../src/repro/results";
import { TRAJECTORY_COLUMNS, trajectoryCsv, type TrajectoryRow } from "../src/core/trajectory";
import { EXAMPLE_COLUMNS, examplesCsv, type ExampleRow } from "../src/core/per-example";
import { mean } from "../src/core/stats";
import type { CollectedPair } from "../src/optimas/collect";

function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "optimas-frames-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function row(method: string, seed: number, test: number | null, status = test === null ? "pending" : "finished"): ResultRow {
  return {
    system: "amazon", method, seed, world: 0, settings: "", status, test_mean: test, test_std: test === null ? null : 0.1, test_before: 0.4, val_before: 0.41, val_after: test,
    system_runs: test === null ? null : 120.5, llm_calls: 300, tokens: 5000, cost_usd: 0.02, test_system_runs: 60, test_llm_calls: 90, test_tokens: 800, test_cost_usd: 0.004,
    test_se: test === null ? null : 0.02, test_passes: 5, meta_model: "sim-l", judge_model: null, lrf_pair_accuracy: null, judge_pair_accuracy: null, iterations: 2, accepted: 1,
    failed_runs: 0, parse_failures: 0, wall_s: 3.5, backend: "simlm@2, world 0", tf_backend: "wasm", test_at_caps: test === null ? "" : `250=${test - 0.1};500=${test}`,
    run_dir: `runs/amazon/${method}-s${seed}-w0`, note: status === "n/a" ? "does not apply" : "",
  };
}

// REINFORCE has one score out of six cells (the trap: counted as 0, its mean was 0.5354 / 6).
const ROWS = [row("reinforce", 0, 0.5354), ...[1, 2, 3, 4].map((s) => row("reinforce", s, null)), row("reinforce", 5, null, "n/a"), row("optimas", 0, 0.6), row("optimas", 1, 0.7)];

function suiteDir(t: { after: (fn: () => void) => void }, rows = ROWS): string {
  const dir = scratch(t);
  fs.writeFileSync(path.join(dir, "results.csv"), resultsCsv(rows));
  return dir;
}

test("loadSuite: every results.csv column typed, missing numbers null, and means over the runs that have a score", (t) => {
  const suite = loadSuite(suiteDir(t));
  assert.deepEqual(suite.columnNames(), [...RESULT_COLUMNS]);
  const first = suite.object(0) as Record<string, unknown>;
  for (const c of RESULT_COLUMNS) {
    const expected = ROWS[0]![c];
    if (expected === null) assert.equal(first[c], null, c);
    else if (expected === "") assert.equal(first[c], null, `${c}: an empty text cell is missing`);
    else assert.equal(typeof first[c], SUITE_TEXT_COLUMNS.includes(c as never) ? "string" : "number", c);
  }
  assert.deepEqual(suite.array("test_mean"), ROWS.map((r) => r.test_mean));
  assert.equal(suite.array("status")[5], "n/a", "status keeps n/a as a status");
  const means = Object.fromEntries(
    (suite.groupby("method").rollup({ m: aq.op.mean("test_mean"), n: aq.op.valid("test_mean") }).objects() as { method: string; m: number; n: number }[]).map((r) => [r.method, r]),
  );
  assert.equal(means.reinforce!.m, 0.5354, "one score out of six cells: the mean is that score, not 0.5354 / 6");
  assert.equal(means.reinforce!.n, 1);
  assert.ok(Math.abs(means.optimas!.m - mean([0.6, 0.7])) < 1e-15);
});

test("loadSuite: n/a, NA and NaN in a number column are missing; text in a number column is an error naming the cell", (t) => {
  const dir = scratch(t);
  fs.writeFileSync(path.join(dir, "results.csv"), "system,method,test_mean\namazon,reinforce,0.5354\namazon,reinforce,n/a\namazon,reinforce,NaN\namazon,reinforce,NA\namazon,reinforce,\n");
  const suite = loadSuite(path.join(dir, "results.csv"));
  assert.deepEqual(suite.array("test_mean"), [0.5354, null, null, null, null]);
  assert.equal(suite.rollup({ m: aq.op.mean("test_mean"), s: aq.op.sum("test_mean") }).get("m", 0), 0.5354);
  fs.writeFileSync(path.join(dir, "results.csv"), "system,method,test_mean\namazon,reinforce,0.5\namazon,reinforce,pending\n");
  assert.throws(() => loadSuite(dir), /results\.csv, column "test_mean", data row 2: "pending" is not a number/);
  assert.throws(() => loadSuite(path.join(dir, "nope")), /nope: no such file/);
});

test("capScores: one row per run and cap from test_at_caps; runs without caps have none", (t) => {
  const caps = capScores(loadSuite(suiteDir(t))).objects() as { method: string; seed: number; cap: number; test: number }[];
  const scored = ROWS.filter((r) => r.test_mean !== null);
  assert.equal(caps.length, 2 * scored.length);
  assert.deepEqual(caps.filter((c) => c.cap === 500).map((c) => c.test), scored.map((r) => r.test_mean));
  assert.deepEqual(caps.filter((c) => c.cap === 250).map((c) => [c.method, c.seed]), scored.map((r) => [r.method, r.seed]));
});

const TRAJECTORY: TrajectoryRow[] = [
  { step: 0, system_runs: 60, validation_runs: 60, llm_calls: 70, tokens: 900, cost_usd: 0.01, val_score: 0.5, incumbent_val: 0.5, accepted: false, incumbent: "initial" },
  { step: 1, system_runs: 140.5, validation_runs: 100, llm_calls: 150, tokens: 1900, cost_usd: 0.02, val_score: null, incumbent_val: 0.5, accepted: false, incumbent: "initial" },
  { step: 2, system_runs: 230, validation_runs: 160, llm_calls: 260, tokens: 3000, cost_usd: 0.03, val_score: 0.6, incumbent_val: 0.6, accepted: true, incumbent: "step-2" },
];

test("trajectories: the schema's columns typed, a step that validated nothing has a null score, runs stacked per suite", (t) => {
  const dir = suiteDir(t);
  const runs = ROWS.filter((r) => r.test_mean !== null);
  runs.forEach((r, i) => {
    fs.mkdirSync(path.join(dir, r.run_dir), { recursive: true });
    fs.writeFileSync(path.join(dir, r.run_dir, "trajectory.csv"), trajectoryCsv(TRAJECTORY.slice(0, i + 1)));
  });
  const one = loadTrajectory(path.join(dir, runs[2]!.run_dir));
  assert.deepEqual(one.columnNames(), [...TRAJECTORY_COLUMNS]);
  assert.deepEqual(one.objects(), TRAJECTORY);
  assert.deepEqual(trajectoryTable(TRAJECTORY).objects(), TRAJECTORY);
  assert.equal(one.rollup({ m: aq.op.mean("val_score") }).get("m", 0), mean([0.5, 0.6]));
  const all = suiteTrajectories(dir);
  assert.deepEqual(all.columnNames(), ["system", "method", "seed", "world", ...TRAJECTORY_COLUMNS]);
  assert.deepEqual(all.groupby("method", "seed").count().objects(), runs.map((r, i) => ({ method: r.method, seed: r.seed, count: i + 1 })));
  assert.equal(suiteTrajectories(suiteDir(t, [row("optimas", 0, null)])).numRows(), 0);
});

const EXAMPLES: ExampleRow[] = [
  { id: "a", inputs: "q: one", output: "yes", gold: "yes", score: 1, pass_scores: "[1,1]", failed_passes: 0, failure: "" },
  { id: "b", inputs: "q: two", output: "", gold: "no", score: null, pass_scores: "[null,null]", failed_passes: 2, failure: "tool: sandbox crashed" },
  { id: "c", inputs: "q: three, \"quoted\"", output: "no", gold: "no", score: 0.5, pass_scores: "[1,0]", failed_passes: 0, failure: "" },
];

test("per-example tables: the CSV's columns, a failed example's score null, and the same table from rows and from the file", (t) => {
  const file = path.join(scratch(t), "examples.csv");
  fs.writeFileSync(file, examplesCsv(EXAMPLES));
  const loaded = loadExamples(file);
  assert.deepEqual(loaded.columnNames(), [...EXAMPLE_COLUMNS]);
  assert.deepEqual(loaded.objects(), examplesTable(EXAMPLES).objects());
  assert.deepEqual(loaded.array("score"), [1, null, 0.5]);
  assert.equal(loaded.array("output")[1], null, "no output: missing");
  assert.equal(loaded.array("inputs")[2], 'q: three, "quoted"');
  assert.equal(loaded.rollup({ m: aq.op.mean("score") }).get("m", 0), 0.75);
});

function pair(component: string, exampleId: string, chosen: number, rejected: number): CollectedPair {
  return { component, exampleId, inputs: { query: `q ${exampleId}`, k: 3 }, chosen: { answer: "good" }, rejected: { answer: "bad" }, scoreChosen: chosen, scoreRejected: rejected };
}

test("LRF pair sets: every buffer and the held-out pairs of an Optimas checkpoint, one row per pair with its gap", (t) => {
  const dir = scratch(t);
  const buffers = { planner: [pair("planner", "e1", 1, 0), pair("planner", "e2", 0.75, 0.5)], answerer: [pair("answerer", "e1", 0.5, 0.25)] };
  const heldOut = [pair("planner", "e9", 1, 0.5)];
  fs.writeFileSync(path.join(dir, "checkpoint.json"), JSON.stringify({ format: "optimas-checkpoint", version: 1, buffers, heldOut }));
  const pairs = loadPairs(dir);
  assert.deepEqual(pairs.columnNames(), [...PAIR_COLUMNS]);
  assert.deepEqual(pairs.array("set"), ["buffer", "buffer", "buffer", "held-out"]);
  assert.deepEqual(pairs.array("example_id"), ["e1", "e2", "e1", "e9"]);
  assert.deepEqual(pairs.array("gap"), [1, 0.25, 0.25, 0.5]);
  assert.equal(pairs.array("inputs")[0], "query: q e1\nk: 3");
  assert.equal(pairs.array("chosen")[0], "good");
  assert.deepEqual(pairs.groupby("component").count().objects(), [{ component: "planner", count: 3 }, { component: "answerer", count: 1 }]);
  fs.writeFileSync(path.join(dir, "checkpoint.json"), JSON.stringify({ format: "baseline-checkpoint" }));
  assert.throws(() => loadPairs(dir), /not an Optimas checkpoint/);
});

test("csvTable: declared types, booleans, and a bad boolean named", () => {
  const table = csvTable("a,b,c\n1,true,x\n,0,\n", { a: "number", b: "boolean" });
  assert.deepEqual(table.objects(), [{ a: 1, b: true, c: "x" }, { a: null, b: false, c: null }]);
  assert.throws(() => csvTable("b\nmaybe\n", { b: "boolean" }, "f.csv"), /f\.csv, column "b", data row 1: "maybe" is not a boolean/);
});
