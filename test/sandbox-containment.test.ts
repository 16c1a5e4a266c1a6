import { PARENT_SECRET } from "./sandbox-parent-secret";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type AddressInfo, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FatalRunError } from "../src/core/failure";
import { ALLOW_NONE_VARIABLE, limitationsOf, PLANS, secretNames, type IsolationGap, type IsolationPlan } from "../src/systems/bigcodebench/isolation";
import { detectIsolation, PythonSandbox, type SandboxProgram } from "../src/systems/bigcodebench/sandbox";
import { buildBigCodeBenchSystem, isolationRecordOf } from "../src/systems/bigcodebench/index";
import { toyEntry } from "../src/systems/toy/index";

const root = process.getuid?.() === 0;
const cleanups: (() => void)[] = [];
after(() => cleanups.reverse().forEach((c) => c()));

/** Sets environment variables for one block, restoring them afterwards. */
async function withEnv<T>(values: Record<string, string | undefined>, body: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(values).map((k) => [k, process.env[k]]));
  const apply = (v: Record<string, string | undefined>) => Object.entries(v).forEach(([k, x]) => (x === undefined ? delete process.env[k] : (process.env[k] = x)));
  apply(values);
  try {
    return await body();
  } finally {
    apply(saved);
  }
}

async function listen(server: Server, ...args: unknown[]): Promise<Server> {
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(...(args as []), () => resolve()));
  cleanups.push(() => server.close());
  return server;
}

const TESTS = "import unittest\nclass TestCases(unittest.TestCase):\n    def test_it(self):\n        self.assertEqual(task_func(2), 4)\n";

/** Each attempt prints `<name>: got out` or `<name>: blocked (<why>)`. */
function hostileProgram(targets: { decoyPid: number; decoySecret: string; parentSecret: string; unixSocket: string; abstractSocket: string; tcpPort: number; shmFile: string }): SandboxProgram {
  const code = `import os, socket
def attempt(name, fn):
    try:
        print("%s: %s" % (name, "got out" if fn() else "blocked (nothing there)"))
    except Exception as e:
        print("%s: blocked (%s)" % (name, type(e).__name__))
def parent_environ():
    with open("/proc/${targets.decoyPid}/environ", "rb") as f:
        return b"${targets.decoySecret}" in f.read()
def host_processes():
    return os.path.exists("/proc/${targets.decoyPid}/cmdline")
def parent_secrets_passed():
    # The sandbox's own environment, and every environ it can read (its server's included).
    found = "${targets.parentSecret}" in repr(dict(os.environ))
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/environ" % pid, "rb") as f:
                found = found or b"${targets.parentSecret}" in f.read()
        except OSError:
            pass
    return found
def shadow():
    with open("/etc/shadow") as f:
        return "root:" in f.read()
def connect(family, address):
    s = socket.socket(family)
    s.settimeout(2)
    s.connect(address)
    s.close()
    return True
def shm():
    with open("${targets.shmFile}", "wb") as f:
        for _ in range(64):
            f.write(b"x" * (1 << 20))
    return True
def task_func(x):
    attempt("host-processes", host_processes)
    attempt("parent-environ", parent_environ)
    attempt("parent-secrets", parent_secrets_passed)
    attempt("shadow", shadow)
    attempt("unix-socket", lambda: connect(socket.AF_UNIX, "${targets.unixSocket}"))
    # Node binds abstract names padded with NULs to the whole sun_path (108 bytes).
    attempt("abstract-socket", lambda: connect(socket.AF_UNIX, b"\\0${targets.abstractSocket}".ljust(108, b"\\0")))
    attempt("loopback-tcp", lambda: connect(socket.AF_INET, ("127.0.0.1", ${targets.tcpPort})))
    attempt("shm-64mb", shm)
    return 2 * x
`;
  return { code, tests: TESTS, entryPoint: "task_func" };
}

/** Which recorded limitation must explain each attempt that got out; `null`: no plan may let it out. */
const EXPLAINED_BY: Record<string, IsolationGap | null> = {
  "host-processes": "host-processes",
  "parent-environ": "parent-environ",
  "parent-secrets": null,
  shadow: "caller-files",
  "unix-socket": "host-sockets",
  "abstract-socket": "loopback",
  "loopback-tcp": "loopback",
  "shm-64mb": "unbounded-tmpfs",
};

test("a hostile program is contained by each plan this machine can force, and what a plan lets out is recorded as its limitation", async () => {
  const decoySecret = `sk-decoy-${process.pid}`;
  const parentSecret = PARENT_SECRET;
  // A host process with an API key in its environ, like the node process that runs the sandbox.
  const decoy = spawn("/bin/sleep", ["120"], { env: { OPENAI_API_KEY: decoySecret }, stdio: "ignore" });
  cleanups.push(() => decoy.kill("SIGKILL"));
  // A socket anyone may connect to (mode 0666) in a folder the plans must hide: /run as root, else the host's temp folder.
  const socketDir = root ? join("/run", `optimas-sandbox-test-${process.pid}`) : mkdtempSync(join(tmpdir(), "optimas-sandbox-socket-"));
  mkdirSync(socketDir, { recursive: true, mode: 0o755 });
  cleanups.push(() => rmSync(socketDir, { recursive: true, force: true }));
  const unixSocket = join(socketDir, "service.sock");
  await listen(createServer((c) => c.end()), unixSocket);
  chmodSync(unixSocket, 0o666);
  const abstractSocket = `optimas-sandbox-test-${process.pid}`;
  await listen(createServer((c) => c.end()), `\0${abstractSocket}`);
  const tcp = await listen(createServer((c) => c.end()), 0, "127.0.0.1");
  const tcpPort = (tcp.address() as AddressInfo).port;

  const outcomes: Record<string, string[]> = {};
  let detected: IsolationPlan | undefined;
  await withEnv({ [ALLOW_NONE_VARIABLE]: "1" }, async () => {
    detected = await detectIsolation("/usr/bin/python3");
    const forceable = PLANS.slice(PLANS.indexOf(detected)).filter((p) => root || !p.endsWith("uid"));
    for (const plan of forceable) {
      const sandbox = new PythonSandbox({ isolation: plan, limits: { timeoutMs: 20_000 } });
      const record = await sandbox.isolationRecord();
      assert.equal(record.plan, plan);
      const shmFile = `/dev/shm/optimas-sandbox-test-${process.pid}-${PLANS.indexOf(plan)}`;
      cleanups.push(() => rmSync(shmFile, { force: true }));
      const result = await sandbox.run(hostileProgram({ decoyPid: decoy.pid!, decoySecret, parentSecret, unixSocket, abstractSocket, tcpPort, shmFile }));
      assert.equal(result.status, "pass", `${plan}: ${result.output}`);
      const lines = [...result.output.matchAll(/^([\w-]+): (got out|blocked.*)$/gm)];
      assert.deepEqual(lines.map((m) => m[1]).sort(), Object.keys(EXPLAINED_BY).sort(), `${plan}: every attempt reported`);
      outcomes[plan] = lines.map((m) => `${m[1]}: ${m[2]}`);
      for (const [, attempt, outcome] of lines) {
        if (outcome !== "got out") continue;
        const gap = EXPLAINED_BY[attempt!]!;
        assert.ok(gap !== null, `${plan}: ${attempt} got out, which no plan may allow`);
        assert.ok(record.limitations[gap], `${plan}: ${attempt} got out but the record does not list "${gap}" (${JSON.stringify(record.limitations)})`);
      }
      rmSync(shmFile, { force: true });
    }
  });
  // The strongest plan leaves nothing open, so everything above was blocked under it.
  if (detected === "namespaces+uid") assert.deepEqual(await new PythonSandbox().isolationRecord(), { plan: "namespaces+uid", limitations: {} });
  // The weakest plan really lets these out: the probes can detect what they test.
  for (const attempt of ["host-processes", "parent-environ", "unix-socket", "abstract-socket", "loopback-tcp", "shm-64mb"]) assert.ok(outcomes.none!.includes(`${attempt}: got out`), outcomes.none!.join("; "));
  console.log(JSON.stringify(outcomes, null, 1));
});

test("the none plan is refused while a credential is set, unless the user opts in", async () => {
  const none = new PythonSandbox({ isolation: "none" });
  const secrets = Object.fromEntries(secretNames(process.env).map((k) => [k, undefined]));
  await withEnv({ ...secrets, [ALLOW_NONE_VARIABLE]: undefined, OPENAI_API_KEY: "sk-test" }, async () => {
    await assert.rejects(none.isolation(), (err: Error) => {
      assert.ok(err instanceof FatalRunError);
      assert.match(err.message, /^BigCodeBench sandbox \(isolation plan none\): generated code would run unisolated while OPENAI_API_KEY is set, and could read it from \/proc\/\d+\/environ; .*set OPTIMAS_SANDBOX_ALLOW_NONE=1 to accept the risk$/);
      return true;
    });
    await assert.rejects(none.run({ code: "def task_func(x):\n    return 2 * x\n", tests: TESTS, entryPoint: "task_func" }), FatalRunError);
    // A plan with its own /proc or uid keeps the key out of reach: not refused.
    if (root) assert.equal(await new PythonSandbox({ isolation: "uid" }).isolation(), "uid");
  });
  await withEnv({ ...secrets, [ALLOW_NONE_VARIABLE]: "1", OPENAI_API_KEY: "sk-test" }, async () => assert.equal(await none.isolation(), "none"));
  await withEnv({ ...secrets, [ALLOW_NONE_VARIABLE]: undefined }, async () => assert.equal(await none.isolation(), "none"));
});

test("credential-looking variable names are recognised, empty ones ignored", () => {
  const env = { OPENAI_API_KEY: "sk", HF_TOKEN: "hf", AWS_SECRET_ACCESS_KEY: "a", DB_PASSWORD: "p", ANTHROPIC_BASE: "x", EMPTY_TOKEN: "", PATH: "/bin", HOME: "/root", LANG: "C" };
  assert.deepEqual(secretNames(env), ["OPENAI_API_KEY", "HF_TOKEN", "AWS_SECRET_ACCESS_KEY", "DB_PASSWORD", "ANTHROPIC_BASE"]);
});

test("under uid, host loopback is a recorded limitation exactly when the host gave no network namespace", () => {
  // The containment test above covers the branch this host takes; this covers the other one.
  assert.ok(limitationsOf("uid", { root: true, privateNetwork: false }).loopback);
  assert.equal(limitationsOf("uid", { root: true, privateNetwork: true }).loopback, undefined);
});

test("a BigCodeBench system's run record names its sandbox's plan; a system that runs no code has none", async () => {
  const sandbox = new PythonSandbox();
  assert.deepEqual(await isolationRecordOf(buildBigCodeBenchSystem({ sandbox })), await sandbox.isolationRecord());
  assert.equal(await isolationRecordOf(toyEntry.build({})), undefined);
});
