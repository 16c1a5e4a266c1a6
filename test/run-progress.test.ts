/**
 * Progress and run records of an optimization job: progress in system runs against the run cap
 * (core/progress.ts), progress.json for a suite's display, every run's environment record
 * (repro/run-record.ts), and the command line's display without a terminal (one line per event).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runOptimizeJob, PROGRESS_FILE, type OptimizeJobSpec, type ProgressRecord } from "../src/repro/optimize-job";
import type { ProgressEvent, RunProgress } from "../src/core/progress";
import { TEST_PASSES } from "../src/core/test-score";
import { BACKEND_ORDER } from "../src/reward/backend";
import { NOT_A_GIT_CHECKOUT, runEnvironment, type RunEnvironment } from "../src/repro/run-record";
import { CellProgressReader } from "../src/repro/progress-watch";
import type { RunCell } from "../src/repro/plan";
import { RunBar } from "../src/cli/progress";

const CAP = 500;

function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "optimas-progress-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function spec(method: string, runCaps: number[]): OptimizeJobSpec {
  return { system: "toy", method, preset: "quick", world: 0, seed: 0, backend: "simlm", runCaps, lm: { cache: "off" } };
}

function headCommit(): string {
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], { cwd: path.resolve(__dirname, ".."), encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return NOT_A_GIT_CHECKOUT;
  }
}

function checkEnvironment(env: RunEnvironment): void {
  assert.equal(env.git_commit, headCommit());
  assert.equal(env.versions.node, process.version);
  assert.match(env.versions.tfjs, /^\d+\.\d+\.\d+/);
  assert.match(env.versions.openai, /^\d+\.\d+\.\d+/);
  assert.match(env.versions.project, /^optimas-ts@\d+\.\d+\.\d+/);
  assert.equal(env.test_passes, TEST_PASSES);
  // Every backend faster than the one in use was tried and skipped, each with its reason.
  const faster = BACKEND_ORDER.slice(0, BACKEND_ORDER.indexOf(env.tf_backend.backend));
  assert.deepEqual(env.tf_backend.skipped.map((s) => s.backend), faster);
  for (const s of env.tf_backend.skipped) assert.ok(s.reason.length > 0);
}

for (const method of ["optimas", "opro"]) {
  test(`${method}: progress in system runs against the run cap, and the run's environment in config.json and result.json`, async (t) => {
    const dir = scratch(t);
    const events: ProgressEvent[] = [];
    const result = await runOptimizeJob(spec(method, [CAP / 2, CAP]), dir, (e) => events.push(e));
    const progress = events.flatMap((e): RunProgress[] => (e.kind === "progress" ? [e.progress] : []));
    const phases = progress.map((p) => p.phase).filter((p, i, all) => i === 0 || all[i - 1] !== p);
    assert.deepEqual(phases, ["test before", "optimize", "test after", "test at caps", "done"]);
    for (const [i, p] of progress.entries()) {
      assert.ok(p.done <= p.total + 1e-9, `event ${i}: ${p.done} of ${p.total}`);
      if (i > 0) assert.ok(p.done >= progress[i - 1]!.done, `event ${i}: progress never goes back`);
    }
    const spent = result.spent.optimize.systemRuns + result.spent.test.systemRuns;
    const last = progress[progress.length - 1]!;
    assert.deepEqual(last, { done: spent, total: spent, phase: "done" });
    // While optimizing, the total is the test before, the run cap and the test after.
    const testRuns = TEST_PASSES * 60;
    const optimizing = progress.filter((p) => p.phase === "optimize");
    assert.ok(optimizing.length > 0);
    for (const p of optimizing) assert.equal(p.total, testRuns + CAP + testRuns);
    assert.ok(result.spent.optimize.systemRuns <= CAP);

    // Lines of an iteration are expressed against the cap, never "iteration 49/20".
    const lines = events.flatMap((e) => (e.kind === "line" ? [e.line] : []));
    for (const line of lines) {
      const m = /iteration (\d+)\/(\d+)/.exec(line);
      assert.equal(m, null, `a capped run counts against its cap: ${line}`);
    }
    if (method === "optimas") assert.ok(lines.some((l) => new RegExp(`iteration \\d+ \\([\\d.]+/${CAP} system runs\\)`).test(l)), lines.join("\n"));

    const record = JSON.parse(fs.readFileSync(path.join(dir, PROGRESS_FILE), "utf8")) as ProgressRecord;
    assert.equal(record.phase, "done");
    assert.equal(record.done, spent);

    const config = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8")) as { environment: RunEnvironment };
    const onDisk = JSON.parse(fs.readFileSync(path.join(dir, "result.json"), "utf8")) as { environment: RunEnvironment };
    checkEnvironment(config.environment);
    checkEnvironment(onDisk.environment);
    assert.deepEqual(result.environment, onDisk.environment);
  });
}

test("a folder that is not a git checkout is recorded as such", async (t) => {
  const before = process.env.GIT_DIR;
  process.env.GIT_DIR = scratch(t);
  try {
    const env = await runEnvironment();
    assert.equal(env.git_commit, NOT_A_GIT_CHECKOUT);
    assert.equal(env.git_dirty, null);
  } finally {
    if (before === undefined) delete process.env.GIT_DIR;
    else process.env.GIT_DIR = before;
  }
});

test("a suite sees the cells whose runs wrote progress since it started and have not finished", (t) => {
  const root = scratch(t);
  const cell = (name: string, record: ProgressRecord | null, mtime?: Date): RunCell => {
    const dir = path.join(root, name);
    fs.mkdirSync(dir);
    if (record) fs.writeFileSync(path.join(dir, PROGRESS_FILE), JSON.stringify(record));
    if (record && mtime) fs.utimesSync(path.join(dir, PROGRESS_FILE), mtime, mtime);
    return { system: "toy", method: name, seed: 0, world: 0, settings: {}, notApplicable: null, dir };
  };
  const since = Date.now() - 60_000;
  const at = new Date().toISOString();
  const running = cell("running", { done: 12.5, total: 500, phase: "optimize", at });
  const stale = cell("stale", { done: 3, total: 500, phase: "optimize", at }, new Date(since - 60_000));
  const ended = cell("ended", { done: 40, total: 40, phase: "done", at });
  const replied = cell("replied", { done: 7, total: 500, phase: "optimize", at });
  const idle = cell("idle", null);
  const reader = new CellProgressReader([running, stale, ended, replied, idle], since);
  assert.deepEqual(reader.running(new Set([replied])), [{ cell: running, progress: { done: 12.5, total: 500, phase: "optimize" } }]);
});

test("without a terminal the run display prints one line per event and no bar", () => {
  const written: string[] = [];
  const write = process.stderr.write;
  const isTTY = process.stderr.isTTY;
  process.stderr.isTTY = false;
  process.stderr.write = ((chunk: string) => {
    written.push(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    const bar = new RunBar("toy/optimas");
    const listener = bar.listener;
    listener({ kind: "progress", progress: { done: 0, total: 800, phase: "test before" } });
    listener({ kind: "progress", progress: { done: 150, total: 800, phase: "test before" } });
    listener({ kind: "progress", progress: { done: 300, total: 800, phase: "optimize" } });
    listener({ kind: "line", line: "iteration 1 (12/500 system runs) answerer: val 0.5 → 0.6 accepted" });
    listener({ kind: "progress", progress: { done: 450, total: 800, phase: "optimize" } });
    bar.stop();
  } finally {
    process.stderr.write = write;
    process.stderr.isTTY = isTTY;
  }
  assert.deepEqual(written, [
    "toy/optimas: test before (at most 800 more system runs)\n",
    "toy/optimas: optimize (at most 500 more system runs)\n",
    "toy/optimas: iteration 1 (12/500 system runs) answerer: val 0.5 → 0.6 accepted\n",
  ]);
});
