import { after, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { failureCauseOf } from "../src/core/failure";
import { StageFailures } from "../src/core/run-failures";
import { passRate } from "../src/metrics/pass-rate";
import { PythonSandbox, type SandboxProgram } from "../src/systems/bigcodebench/sandbox";
import { MAX_STRETCH, StarvedTimeoutError } from "../src/systems/bigcodebench/starved-timeouts";

// Machine load is not a verdict (starved-timeouts.ts): timeouts of the program's own are scored
// and cached, a timeout caused by waiting for a CPU is neither. A busy machine is made on demand
// with a cgroup CPU quota, whose throttling Linux counts as run-queue delay like any contention.

const TESTS = "import unittest\nclass TestCases(unittest.TestCase):\n    def test_it(self):\n        self.assertEqual(task_func(2), 4)\n";
const program = (code: string): SandboxProgram => ({ code, tests: TESTS, entryPoint: "task_func" });
const LOOP = program("def task_func(x):\n    while True:\n        pass\n");
const SLEEP = program("import time\ndef task_func(x):\n    time.sleep(60)\n");

const temps: string[] = [];
const groups: string[] = [];
after(async () => {
  temps.forEach((t) => rmSync(t, { recursive: true, force: true }));
  for (const group of groups) {
    // The idle fork servers of the throttled interpreters (started by this file) live in the group.
    for (const pid of readFileSync(join(group, "cgroup.procs"), "utf8").split("\n").filter(Boolean)) {
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    for (let tries = 0; existsSync(group) && tries < 50; tries++) {
      try {
        rmdirSync(group);
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
});

const CGROUP_CPU = "/sys/fs/cgroup/cpu";

/**
 * An interpreter whose processes together get `percent`% of one CPU (a cgroup v1 CPU quota), or
 * why there is none here (creating a cpu cgroup needs root and the v1 cpu controller).
 */
function throttledPython(percent: number): string | { skip: string } {
  const group = join(CGROUP_CPU, `optimas-sandbox-test-${process.pid}-${percent}`);
  try {
    mkdirSync(group);
    groups.push(group);
    writeFileSync(join(group, "cpu.cfs_period_us"), "100000");
    writeFileSync(join(group, "cpu.cfs_quota_us"), String(percent * 1000));
  } catch (err) {
    return { skip: `no cpu cgroup to throttle the sandbox (${(err as NodeJS.ErrnoException).code ?? err})` };
  }
  const dir = mkdtempSync(join(tmpdir(), "optimas-throttled-python-"));
  temps.push(dir);
  const python = join(dir, "python3");
  writeFileSync(python, `#!/bin/sh\necho $$ > ${join(group, "cgroup.procs")} || exit 97\nexec /usr/bin/python3 "$@"\n`);
  chmodSync(python, 0o755);
  return python;
}

const throttled10 = throttledPython(10);
const throttled25 = throttledPython(25);
const skipOf = (python: string | { skip: string }): string | false => (typeof python === "string" ? false : python.skip);

function cacheDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "optimas-sandbox-timeouts-"));
  temps.push(dir);
  return dir;
}

const cachedFiles = (dir: string): string[] => readdirSync(dir).flatMap((d) => readdirSync(join(dir, d)));

test("a CPU-bound infinite loop is the program's timeout: scored 0 and cached", async () => {
  const dir = cacheDir();
  const first = new PythonSandbox({ cacheDir: dir, limits: { timeoutMs: 800 } });
  const result = await first.run(LOOP);
  assert.equal(result.status, "timeout");
  assert.equal(passRate(result), 0);
  assert.deepEqual(first.stats, { executions: 1, cacheHits: 0, starvedRetries: 0, unconfirmedTimeouts: 0 });
  const second = new PythonSandbox({ cacheDir: dir, limits: { timeoutMs: 800 } });
  assert.deepEqual(await second.run(LOOP), result);
  assert.deepEqual(second.stats, { executions: 0, cacheHits: 1, starvedRetries: 0, unconfirmedTimeouts: 0 }, "read back from disk");
});

test("sleeping past the limit is the program's timeout, on an idle and on a busy machine alike", { skip: skipOf(throttled10) }, async () => {
  for (const python of [undefined, throttled10 as string]) {
    const dir = cacheDir();
    const sandbox = new PythonSandbox({ python, cacheDir: dir, limits: { timeoutMs: 800 } });
    const result = await sandbox.run(SLEEP);
    assert.equal(result.status, "timeout", python);
    assert.deepEqual(sandbox.stats, { executions: 1, cacheHits: 0, starvedRetries: 0, unconfirmedTimeouts: 0 }, python);
    assert.equal(cachedFiles(dir).length, 1, "a confirmed timeout is cached");
  }
});

test("a program held up by load gets its own time: it passes where a wall-clock limit would have timed it out", { skip: skipOf(throttled25) }, async () => {
  const sandbox = new PythonSandbox({ python: throttled25 as string, limits: { timeoutMs: 800 } });
  // About 0.3 s of CPU: 1.2 s or more of wall-clock time at a quarter of a CPU.
  const busy = program("import time\nwhile time.process_time() < 0.3:\n    pass\ndef task_func(x):\n    return 2 * x\n");
  const started = Date.now();
  const result = await sandbox.run(busy);
  const elapsed = Date.now() - started;
  assert.equal(result.status, "pass", result.output);
  assert.ok(elapsed > 800 && elapsed < 800 * MAX_STRETCH + 3000, `took ${elapsed} ms`);
  assert.equal(sandbox.stats.starvedRetries, 0);
});

test("a program starved of CPU is run again, then a counted failure, and never cached", { skip: skipOf(throttled10) }, async () => {
  const dir = cacheDir();
  const sandbox = new PythonSandbox({ python: throttled10 as string, cacheDir: dir, limits: { timeoutMs: 500 } });
  // At a tenth of a CPU the loop gets at most 0.2 s of its own time in MAX_STRETCH × 0.5 s.
  const err = await sandbox.run(LOOP).then(
    () => assert.fail("a starved timeout was answered as a result"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof StarvedTimeoutError, String(err));
  assert.equal(failureCauseOf(err), "sandbox-starved");
  // A stage counts it as a failed run by cause: no score, and the run goes on.
  const stage = new StageFailures("test", "sim");
  stage.counts.recordRun();
  stage.counts.recordRun();
  stage.record(err);
  assert.deepEqual(stage.finish().toJSON(), { runs: 2, failed: { "sandbox-starved": 1 }, parseFailures: 0, reruns: 0 });
  assert.deepEqual(sandbox.stats, { executions: 2, cacheHits: 0, starvedRetries: 1, unconfirmedTimeouts: 1 });
  assert.deepEqual(readdirSync(dir), [], "nothing written to the disk cache");
  // Nor kept in memory: the next run executes again.
  await assert.rejects(sandbox.run(LOOP), StarvedTimeoutError);
  assert.equal(sandbox.stats.executions, 4);
});
