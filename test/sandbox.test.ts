import { after, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PythonSandbox, type IsolationPlan, type SandboxProgram } from "../src/systems/bigcodebench/sandbox";
import { passRate } from "../src/metrics/pass-rate";
import { ALLOW_NONE_VARIABLE } from "../src/systems/bigcodebench/isolation";
import { MAX_STRETCH } from "../src/systems/bigcodebench/starved-timeouts";

const sandbox = new PythonSandbox({ limits: { timeoutMs: 10_000 } });
const temps: string[] = [];
after(() => temps.forEach((t) => rmSync(t, { recursive: true, force: true })));

const TESTS = `import unittest
class TestCases(unittest.TestCase):
    def test_small(self):
        self.assertEqual(task_func(2), 4)
    def test_large(self):
        self.assertEqual(task_func(30), 60)
`;
const program = (code: string, tests = TESTS): SandboxProgram => ({ code, tests, entryPoint: "task_func" });

/** Pids whose command line contains `marker` (processes a test meant to be killed). */
function processesWith(marker: string): number[] {
  return readdirSync("/proc").filter((p) => /^\d+$/.test(p)).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(marker);
    } catch {
      return false;
    }
  }).map(Number);
}

function parentOf(pid: number): number | undefined {
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces, so count from its closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

const leftoverSandboxDirs = (): string[] => readdirSync(tmpdir()).filter((n) => n.startsWith("optimas-sandbox-"));

let plan: IsolationPlan;

test("an isolation plan is detected once and reused", async () => {
  plan = await sandbox.isolation();
  assert.ok(["namespaces+uid", "namespaces", "uid", "none"].includes(plan));
  assert.equal(await new PythonSandbox().isolation(), plan);
});

test("a correct solution passes every test; its prints are in the output", async () => {
  const result = await sandbox.run(program("def task_func(x):\n    print('doubling', x)\n    return 2 * x\n"));
  assert.deepEqual({ status: result.status, passed: result.passed, total: result.total }, { status: "pass", passed: 2, total: 2 });
  // unittest runs test methods in name order: test_large, then test_small.
  assert.match(result.output, /--- output ---\ndoubling 30\ndoubling 2$/);
  assert.equal(passRate(result), 1);
});

test("a wrong solution fails with the failing test and its assertion", async () => {
  const result = await sandbox.run(program("def task_func(x):\n    return x + 2\n"));
  assert.deepEqual({ status: result.status, passed: result.passed, total: result.total }, { status: "fail", passed: 1, total: 2 });
  assert.match(result.output, /FAIL: test_large\n[\s\S]*File "tests.py", line 6, in test_large[\s\S]*AssertionError: 32 != 60/);
  assert.equal(passRate(result), 0);
});

test("a syntax error, a missing entry point, an import-time exception and missing TestCases are load errors", async () => {
  const syntax = await sandbox.run(program("def task_func(x)\n    return x\n"));
  assert.equal(syntax.status, "error");
  assert.match(syntax.output, /File "solution.py", line 1[\s\S]*SyntaxError/);
  assert.equal(passRate(syntax), 0);
  const missing = await sandbox.run(program("def solve(x):\n    return 2 * x\n"));
  assert.deepEqual([missing.status, missing.output], ["error", "the code defines no function 'task_func'"]);
  const raises = await sandbox.run(program("import nonexistent_module_xyz\ndef task_func(x):\n    return 2 * x\n"));
  assert.equal(raises.status, "error");
  assert.match(raises.output, /ModuleNotFoundError: No module named 'nonexistent_module_xyz'/);
  const noTests = await sandbox.run(program("def task_func(x):\n    return 2 * x\n", "x = 1\n"));
  assert.deepEqual([noTests.status, noTests.output], ["error", "the tests define no unittest.TestCase class named TestCases"]);
  const exits = await sandbox.run(program("import os\ndef task_func(x):\n    os._exit(3)\n"));
  assert.deepEqual([exits.status, exits.output], ["error", "the program ended without a test report (exit status 3)"]);
});

test("an infinite loop is killed at its time limit (stretched only by its waits for a CPU)", async () => {
  const quick = new PythonSandbox({ limits: { timeoutMs: 1500 } });
  const started = Date.now();
  const result = await quick.run(program("def task_func(x):\n    while True:\n        pass\n"));
  const elapsed = Date.now() - started;
  assert.equal(result.status, "timeout");
  assert.equal(result.output, "timed out after 1500 ms");
  assert.ok(elapsed >= 1500 && elapsed < 1500 * MAX_STRETCH + 3000, `took ${elapsed} ms`);
  assert.equal(passRate(result), 0);
});

test("a program's own time limit replaces the sandbox's, and is part of the cache key", async () => {
  const slow = program("import time\ntime.sleep(1.2)\ndef task_func(x):\n    return 2 * x\n");
  const local = new PythonSandbox({ limits: { timeoutMs: 10_000 } });
  assert.equal((await local.run({ ...slow, timeoutMs: 600 })).status, "timeout");
  assert.equal((await local.run(slow)).status, "pass");
  assert.equal(local.stats.executions, 2);
  await assert.rejects(local.run({ ...slow, timeoutMs: 0 }), /sandbox limit timeoutMs must be a positive integer \(got 0\)/);
});

test("Python's random module is seeded, so a test drawing unseeded values gets the same verdict every run", async () => {
  const draws = program("import random\nprint('draw', random.random())\ndef task_func(x):\n    return 2 * x\n");
  const [a, b] = await Promise.all([new PythonSandbox().run(draws), new PythonSandbox().run(draws)]);
  const value = (r: { output: string }) => /draw (\S+)/.exec(r.output)![1];
  assert.equal(value(a), value(b));
});

test("a sandbox server that dies mid-execution fails that execution (uncached), and the next one starts a new server", async () => {
  const local = new PythonSandbox({ limits: { timeoutMs: 10_000 } });
  const slow = program("import time\ntime.sleep(3)\ndef task_func(x):\n    return 2 * x\n");
  const pending = local.run(slow);
  await new Promise((resolve) => setTimeout(resolve, 800));
  // This process's busy server only (it has a runner child): other processes on the machine may be
  // running sandboxes too, and an idle server killed here might be handed to the retry below
  // before its exit is noticed.
  const ours = processesWith("The Python side of the BigCodeBench sandbox").filter((pid) => parentOf(pid) === process.pid);
  const servers = ours.filter((pid) => processesWith("").some((child) => parentOf(child) === pid));
  assert.ok(servers.length > 0, "no sandbox server process found");
  for (const pid of servers) process.kill(pid, "SIGKILL");
  await assert.rejects(pending, /the Python sandbox server ended \(SIGKILL\)/);
  const retried = await local.run(slow);
  assert.equal(retried.status, "pass", "the failure was not cached and a fresh server ran the program");
  assert.equal(local.stats.executions, 2);
});

test("every weaker isolation plan runs tests, and its timeout leaves no process of the program behind", async () => {
  const order: IsolationPlan[] = ["namespaces+uid", "namespaces", "uid", "none"];
  const detected = await sandbox.isolation();
  const weaker = order.filter((p) => order.indexOf(p) > order.indexOf(detected) && (!p.endsWith("uid") || process.getuid?.() === 0));
  // `none` is refused while a credential is set (sandbox-containment.test.ts): this test opts in.
  const optIn = process.env[ALLOW_NONE_VARIABLE];
  process.env[ALLOW_NONE_VARIABLE] = "1";
  try {
    for (const isolation of weaker) {
      const forced = new PythonSandbox({ isolation, limits: { timeoutMs: 1500 } });
      assert.equal(await forced.isolation(), isolation);
      assert.equal((await forced.run(program("def task_func(x):\n    return 2 * x\n"))).status, "pass", isolation);
      const marker = `37.${4250 + weaker.indexOf(isolation)}`;
      const stuck = await forced.run(program(`import subprocess\nsubprocess.Popen(["/bin/sleep", "${marker}"])\nwhile True:\n    pass\ndef task_func(x):\n    return 2 * x\n`));
      assert.equal(stuck.status, "timeout", isolation);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(processesWith(`sleep\0${marker}`), [], `${isolation}: the program's child outlived the timeout`);
    }
  } finally {
    if (optIn === undefined) delete process.env[ALLOW_NONE_VARIABLE];
    else process.env[ALLOW_NONE_VARIABLE] = optIn;
  }
});

test("the memory limit turns a huge allocation into a MemoryError", async () => {
  const small = new PythonSandbox({ limits: { memoryMb: 256 } });
  const result = await small.run(program("block = bytearray(1024 * 1024 * 1024)\ndef task_func(x):\n    return 2 * x\n"));
  assert.equal(result.status, "error");
  assert.match(result.output, /MemoryError/);
});

test("a fork bomb is contained: bounded while it runs, and nothing of it survives", async () => {
  const bomb = new PythonSandbox({ limits: { maxProcesses: 24, timeoutMs: 10_000 } });
  // Children become `sleep 37.4242` (one escapes its process group first), so survivors are recognisable.
  const code = `import os
def task_func(x):
    n = 0
    try:
        while n < 400:
            pid = os.fork()
            if pid == 0:
                if n == 0:
                    os.setsid()
                    os.execv("/bin/sleep", ["sleep", "37.4243"])
                os.execv("/bin/sleep", ["sleep", "37.4242"])
            n += 1
    except OSError as e:
        print("fork refused after", n, "children:", e.strerror)
    return 2 * x
`;
  const result = await bomb.run(program(code));
  assert.equal(result.status, "pass", result.output);
  const limited = /fork refused after (\d+) children/.exec(result.output);
  // RLIMIT_NPROC never applies to root: only a fresh uid or a non-root caller makes it count.
  const nprocApplies = plan.endsWith("uid") || process.getuid?.() !== 0;
  if (nprocApplies) {
    assert.ok(limited, `RLIMIT_NPROC stopped the forks: ${result.output}`);
    assert.ok(Number(limited[1]) < 400);
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.deepEqual(processesWith("37.4242"), [], "children in the process group are killed");
  const escaped = processesWith("37.4243");
  // Only without namespaces or a fresh uid can a setsid() child outlive the run (documented).
  if (plan === "none") escaped.forEach((pid) => process.kill(pid, "SIGKILL"));
  else assert.deepEqual(escaped, [], "a child that left the process group is killed too");
});

test("writes outside the working directory are contained; HOME and TMPDIR point inside it", async () => {
  const marker = `escape-${process.pid}-${Date.now()}`;
  const code = `import os, tempfile
def attempt(path):
    try:
        with open(path, "w") as f:
            f.write("x")
        return "written"
    except OSError as e:
        return e.strerror
def task_func(x):
    cwd = os.getcwd()
    assert os.environ["HOME"] == cwd, os.environ["HOME"]
    assert tempfile.gettempdir().startswith(cwd), tempfile.gettempdir()
    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(b"inside")
    print("relative:", attempt("../relative-${marker}.txt"))
    print("tmp:", attempt("/tmp/${marker}.txt"))
    print("etc:", attempt("/etc/${marker}.txt"))
    return 2 * x
`;
  const before = leftoverSandboxDirs();
  const result = await sandbox.run(program(code));
  assert.equal(result.status, "pass", result.output);
  assert.deepEqual(leftoverSandboxDirs(), before, "the working directory is removed");
  // Relative writes: nothing is left beside the working directory, whatever the plan.
  assert.ok(!existsSync(join(tmpdir(), `relative-${marker}.txt`)));
  // Absolute writes: a private tmpfs, the read-only root or the unprivileged uid contain them;
  // with no isolation at all they persist (documented) and the test cleans up after itself.
  const outside = [`/tmp/${marker}.txt`, `/etc/${marker}.txt`].filter((path) => existsSync(path));
  outside.forEach((path) => rmSync(path, { force: true }));
  if (plan !== "none") assert.deepEqual(outside, []);
  if (plan === "uid") assert.match(result.output, /relative: Permission denied[\s\S]*removed 1 file\(s\) the code wrote outside its directory: \/tmp\//);
});

test("the network is cut when namespaces are available; loopback still works", async () => {
  const code = `import socket
def task_func(x):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    socket.create_connection(server.getsockname(), timeout=2).close()
    try:
        socket.create_connection(("192.0.2.1", 80), timeout=1)
        print("outside: connected")
    except OSError as e:
        print("outside:", e.strerror or type(e).__name__)
    return 2 * x
`;
  const result = await sandbox.run(program(code));
  assert.equal(result.status, "pass", result.output);
  if (plan.startsWith("namespaces")) assert.match(result.output, /outside: Network is unreachable/);
});

test("a repeated program is answered from the cache without spawning, in memory and on disk", async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), "optimas-sandbox-cache-test-"));
  temps.push(cacheDir);
  const first = new PythonSandbox({ cacheDir });
  const p = program("def task_func(x):\n    return x * 2  # cache test\n");
  const a = await first.run(p);
  assert.deepEqual(first.stats, { executions: 1, cacheHits: 0, starvedRetries: 0, unconfirmedTimeouts: 0 });
  const [b, c] = await Promise.all([first.run(p), first.run(p)]);
  assert.deepEqual(first.stats, { executions: 1, cacheHits: 2, starvedRetries: 0, unconfirmedTimeouts: 0 });
  assert.deepEqual(b, a);
  assert.deepEqual(c, a);
  const second = new PythonSandbox({ cacheDir });
  assert.deepEqual(await second.run(p), a);
  assert.deepEqual(second.stats, { executions: 0, cacheHits: 1, starvedRetries: 0, unconfirmedTimeouts: 0 });
  // Different limits are a different execution.
  await new PythonSandbox({ cacheDir, limits: { memoryMb: 1024 } }).run(p).then(() => undefined);
  assert.equal(readdirSync(cacheDir).flatMap((d) => readdirSync(join(cacheDir, d))).length, 2);
});

test("results are deterministic across sandboxes, tracebacks included", async () => {
  const p = program("import random\ndef task_func(x):\n    return x + len({str(i) for i in range(3)}) - 1\n");
  const [a, b] = await Promise.all([new PythonSandbox().run(p), new PythonSandbox().run(p)]);
  assert.equal(a.status, "fail");
  assert.deepEqual(a, b);
});

test("at most `concurrency` executions run at once", async () => {
  const two = new PythonSandbox({ concurrency: 2 });
  const programs = [0, 1, 2, 3].map((i) => program(`import time\nprint("start", time.time())\ntime.sleep(0.4)\nprint("end", time.time())\ndef task_func(x):\n    return 2 * x  # ${i}\n`));
  const results = await Promise.all(programs.map((p) => two.run(p)));
  const spans = results.map((r) => [Number(/start (\S+)/.exec(r.output)![1]), Number(/end (\S+)/.exec(r.output)![1])] as const);
  const maxOverlap = Math.max(...spans.map(([s]) => spans.filter(([s2, e2]) => s2 <= s && s < e2).length));
  assert.ok(maxOverlap <= 2, `overlap ${maxOverlap}`);
  assert.equal(two.stats.executions, 4);
});
