import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import Papa from "papaparse";
import { runSuite, type SuiteEvent, type SuiteOutcome } from "../src/repro/suite";
import { resolveSuite } from "../src/repro/suite-config";
import { WALL_TIME_COLUMNS } from "../src/repro/results";
import { JUDGE_ABLATION_ID } from "../src/repro/method-ids";

const OPTIMAS_ID = "optimas";
import { METHODS } from "../src/repro/methods";

// A reduced suite: the toy system, one seed, SimLM world 1, three methods — Optimas, its judge
// ablation (which also measures the judge's pair accuracy) and one more from the registry — so
// three runs of a few seconds each, more runs than the two workers.
const THIRD = METHODS.find((m) => m.id !== OPTIMAS_ID && m.id !== JUDGE_ABLATION_ID)!.id;
const SUITE = resolveSuite({ name: "test-mini", description: "", systems: ["toy"], methods: [OPTIMAS_ID, JUDGE_ABLATION_ID, THIRD], seeds: [0], worlds: [1], preset: "quick", backend: "simlm" });

const scratch = mkdtempSync(path.join(tmpdir(), "optimas-repro-"));

/** results.csv without its wall-time columns: what must be identical between runs of a suite. */
function comparableCsv(file: string): string[][] {
  const { data } = Papa.parse<string[]>(readFileSync(file, "utf8").trim());
  const drop = new Set(WALL_TIME_COLUMNS.map((c) => data[0]!.indexOf(c)));
  return data.map((r) => r.filter((_, i) => !drop.has(i)));
}

let reference: SuiteOutcome;
before(async () => {
  reference = await runSuite(SUITE, { outDir: path.join(scratch, "a"), workers: 2, png: false });
});

test("a suite writes results.csv, summary.md, figures and one run directory per cell", () => {
  assert.deepEqual(reference.rows.map((r) => r.method), SUITE.methods);
  assert.ok(reference.rows.every((r) => r.status !== "pending" && r.status !== "failed"), reference.rows.map((r) => r.status).join(", "));
  assert.equal(reference.failed, 0);
  for (const r of reference.rows) {
    assert.ok(existsSync(path.join(reference.outDir, r.run_dir, "result.json")), r.run_dir);
    assert.ok(r.system_runs! > 0 && r.llm_calls! > 0 && r.wall_s! > 0);
    assert.match(r.backend!, /world 1/);
  }
  // test_before is measured outside the method's budget, with the same seeds for every method.
  assert.equal(new Set(reference.rows.map((r) => r.test_before)).size, 1);
  const judge = reference.rows.filter((r) => r.method === JUDGE_ABLATION_ID);
  assert.ok(judge.every((r) => r.judge_pair_accuracy !== null && r.judge_pair_accuracy >= 0 && r.judge_pair_accuracy <= 1));
  assert.ok(reference.rows.filter((r) => r.method === OPTIMAS_ID).every((r) => r.judge_pair_accuracy === null));
  const summary = readFileSync(reference.summaryMd, "utf8");
  assert.match(summary, /not the paper's numbers/);
  assert.match(summary, /worlds 1\b/);
  assert.match(summary, /11\.92%/);
  assert.ok(existsSync(reference.figures!.html));
  assert.match(reference.figures!.pngNotice!, /--no-png/);
});

test("the same suite run again, on one worker instead of two, gives an identical results.csv apart from wall time", async () => {
  const again = await runSuite(SUITE, { outDir: path.join(scratch, "b"), workers: 1, png: false });
  assert.deepEqual(comparableCsv(again.resultsCsv), comparableCsv(reference.resultsCsv));
  assert.deepEqual(again.agg, reference.agg);
});

test("an interrupted suite resumes: finished runs are kept as they are, only unfinished ones run again", async () => {
  const outDir = path.join(scratch, "c");
  const controller = new AbortController();
  // Kill the workers as soon as the first run finishes: the other worker dies mid-run and the third
  // run never starts.
  const first = await runSuite(SUITE, { outDir, workers: 2, png: false, signal: controller.signal, onEvent: (e) => e.kind === "run" && controller.abort() });
  assert.equal(first.interrupted, true);
  const finished = first.rows.filter((r) => r.status === "finished");
  const unfinished = first.rows.filter((r) => r.status === "pending");
  assert.ok(finished.length >= 1 && unfinished.length >= 1, `statuses: ${first.rows.map((r) => r.status).join(", ")}`);
  assert.match(readFileSync(first.summaryMd, "utf8"), /Interrupted/);
  const stamp = (r: { run_dir: string }) => {
    const file = path.join(outDir, r.run_dir, "result.json");
    return `${statSync(file).mtimeMs} ${readFileSync(file, "utf8")}`;
  };
  const before = finished.map(stamp);

  const events: SuiteEvent[] = [];
  const resumed = await runSuite(SUITE, { outDir, workers: 2, png: false, onEvent: (e) => events.push(e) });
  const plan = events.find((e) => e.kind === "plan")!;
  assert.equal(plan.kind === "plan" && plan.alreadyDone, finished.length);
  assert.deepEqual([...resumed.ran].sort(), unfinished.map((r) => `${r.system} / ${r.method} s${r.seed} w${r.world}`).sort());
  assert.deepEqual(finished.map(stamp), before, "finished runs are not touched");
  assert.equal(resumed.interrupted, false);
  assert.deepEqual(comparableCsv(resumed.resultsCsv), comparableCsv(reference.resultsCsv));

  const third = await runSuite(SUITE, { outDir, workers: 2, png: false });
  assert.deepEqual(third.ran, [], "a finished suite runs nothing");
});

test("a run that fails becomes a failed row with its message, and the next call retries it", async () => {
  const outDir = path.join(scratch, "d");
  const one = resolveSuite({ ...SUITE, methods: [OPTIMAS_ID] });
  // A run directory that holds another run's config makes runOptimizeJob refuse to touch it.
  const dir = path.join(outDir, "runs", "toy", `${OPTIMAS_ID}-s0-w1`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "config.json"), JSON.stringify({ spec: { system: "toy", method: "other" } }));
  const failed = await runSuite(one, { outDir, workers: 1, png: false });
  assert.equal(failed.failed, 1);
  assert.equal(failed.rows[0]!.status, "failed");
  assert.match(failed.rows[0]!.note, /holds another run/);
  assert.match(readFileSync(failed.resultsCsv, "utf8"), /,failed,.*holds another run/);
  const retried = await runSuite(one, { outDir, workers: 1, png: false });
  assert.deepEqual(retried.ran, [`toy / ${OPTIMAS_ID} s0 w1`]);
});

test("the reproduce command rejects an unknown method with one line", () => {
  const cli = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "reproduce", "--suite", "quick", "--methods", "no-such-method"], { encoding: "utf8" });
  assert.equal(cli.status, 2);
  assert.equal(cli.stderr.trim().split("\n").length, 1);
  assert.match(cli.stderr, /^optimas: --methods: unknown method "no-such-method" \(available: /);
});
