import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runOptimizeJob, type CapScore, type OptimizeJobSpec } from "../src/repro/optimize-job";
import { RunDir } from "../src/core/run-dir";
import { incumbentAtCap, loadIncumbent, readTrajectory, TRAJECTORY_COLUMNS, TRAJECTORY_FILE, type TrajectoryRow } from "../src/core/trajectory";
import { measureTestScore } from "../src/core/test-score";
import { createRuntime } from "../src/repro/runtime";

/** Budget-capped runs write one trajectory schema, stop at the shared cap, and test-score the incumbent at each cap. */

const CAPS = [200, 500];

function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "optimas-trajectory-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function spec(method: string, runCaps: number[]): OptimizeJobSpec {
  return { system: "toy", method, preset: "quick", world: 0, seed: 0, backend: "simlm", runCaps, lm: { cache: "off" } };
}

test("incumbentAtCap: the incumbent after the last step that ended within the cap, the start when none did", () => {
  const row = (step: number, runs: number, incumbent: string) => ({ step, system_runs: runs, incumbent }) as TrajectoryRow;
  const rows = [row(0, 60, "initial"), row(1, 150, "step-1"), row(2, 260.5, "step-1"), row(3, 300, "step-3")];
  assert.equal(incumbentAtCap(rows, 299.9).incumbent, "step-1"); // step 3 crossed 299.9: not yet held
  assert.equal(incumbentAtCap(rows, 300).incumbent, "step-3");
  assert.equal(incumbentAtCap(rows, 149).step, 0);
  assert.equal(incumbentAtCap(rows, 10).step, 0);
});

for (const method of ["optimas", "textgrad", "opro"]) {
  test(`${method}: runs to the shared cap, writes trajectory.csv in the one schema, test-scores the incumbent at each cap`, async (t) => {
    const dir = scratch(t);
    const result = await runOptimizeJob(spec(method, CAPS), dir);
    const text = fs.readFileSync(path.join(dir, TRAJECTORY_FILE), "utf8");
    assert.equal(text.split("\n")[0], TRAJECTORY_COLUMNS.join(","));
    const rows = readTrajectory(new RunDir(dir));
    assert.deepEqual(rows.map((r) => r.step), rows.map((_, i) => i));
    for (const [i, r] of rows.entries()) {
      if (i > 0) assert.ok(r.system_runs >= rows[i - 1]!.system_runs && r.llm_calls >= rows[i - 1]!.llm_calls, `row ${i} spends cumulatively`);
      assert.ok(r.validation_runs <= r.system_runs, `row ${i}: validation runs are among the system runs`);
      assert.ok(fs.existsSync(path.join(dir, "incumbents", `${r.incumbent}.json`)), `incumbent ${r.incumbent} saved`);
      assert.equal(r.accepted, i > 0 && r.incumbent === `step-${i}`);
    }
    // It stopped at the shared cap, not at its own step count.
    assert.equal(result.status, "budget");
    assert.ok(result.system_runs <= Math.max(...CAPS) && rows.at(-1)!.system_runs <= Math.max(...CAPS));
    // The incumbent at each cap is read from the trajectory and its test score is the one definition's.
    const atCaps = result.test_at_caps as CapScore[];
    assert.deepEqual(atCaps.map((c) => c.cap), CAPS);
    for (const c of atCaps) {
      assert.equal(c.incumbent, incumbentAtCap(rows, c.cap).incumbent);
      const rt = createRuntime({ system: "toy", backend: "simlm", world: 0, seed: 0, lm: { cache: "off" } });
      rt.system.loadStateDict(loadIncumbent(new RunDir(dir), c.incumbent).stateDict);
      assert.equal(c.test, (await measureTestScore(rt.system, rt.data.test, rt.ctx.withStage("test"))).mean, `${method} at cap ${c.cap}`);
    }
  });
}

test("a run stopped at one cap resumes to the next and ends as a run straight to it", async (t) => {
  const straight = scratch(t);
  const resumed = scratch(t);
  const direct = await runOptimizeJob(spec("optimas", CAPS), straight);
  const first = await runOptimizeJob(spec("optimas", CAPS.slice(0, 1)), resumed);
  assert.ok(first.system_runs <= CAPS[0]!);
  const again = await runOptimizeJob(spec("optimas", CAPS), resumed);
  assert.deepEqual(again.test_at_caps, direct.test_at_caps);
  assert.equal(again.system_runs, direct.system_runs);
  assert.equal(fs.readFileSync(path.join(resumed, TRAJECTORY_FILE), "utf8"), fs.readFileSync(path.join(straight, TRAJECTORY_FILE), "utf8"));
});
