import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { writeFileAtomic } from "../../core/files";
import { homedir, tmpdir } from "node:os";
import type { Socket } from "node:net";
import { join } from "node:path";
import { Semaphore } from "../../core/concurrency";
import { stableStringify } from "../../core/json";
import { sha256Hex } from "../../data/registry";
import type { ExecutionOutcome, ExecutionStatus } from "../../metrics/pass-rate";
import { limitationsOf, PLANS, refuseUnisolated, type IsolationPlan, type IsolationRecord } from "./isolation";
import { MAX_STRETCH, untilNotStarved } from "./starved-timeouts";

export type { IsolationPlan, IsolationRecord } from "./isolation";

/**
 * Runs generated Python code against its unit tests in a separate `python3` process, the way
 * BigCodeBench's `untrusted_check` does (code and tests in one module, `TestCases` run by
 * unittest), with limits and as much isolation as the machine allows. The processes are forked
 * from long-lived servers (`sandbox_server.py`) that have the harness loaded, so an execution
 * costs a fork instead of two interpreter start-ups (median 12 ms instead of 55 ms for the
 * reference solutions). Detected once per process, the strongest plan that works is used:
 *
 * | plan              | needs                          | what it adds                                       |
 * |-------------------|--------------------------------|----------------------------------------------------|
 * | `namespaces+uid`  | root with CAP_SYS_ADMIN        | everything below, run as a fresh unprivileged uid  |
 * | `namespaces`      | user namespaces                | own network (loopback only), own pid namespace with a fresh /proc, read-only root, private /tmp and /var/tmp (one tmpfs of maxFileMb), a 16 MB /dev/shm, empty /run, /var/run, /root, caller's home and cwd, /dev/null over /etc/shadow and /etc/gshadow |
 * | `uid`             | root without namespaces        | a fresh unprivileged uid (its strays killed, its files in the temp folders removed afterwards), and its own network where the kernel allows a network namespace |
 * | `none`            | —                              | limits and the temp directory only; refused while a credential is in the environment unless OPTIMAS_SANDBOX_ALLOW_NONE=1 |
 *
 * Every plan: a fresh working directory with HOME and TMPDIR inside it (removed afterwards), a
 * time limit that kills the whole process group (on the program's own time: wall-clock time
 * less its waits for a CPU, at most MAX_STRETCH× the limit; starved-timeouts.ts), RLIMIT_AS
 * (memory), RLIMIT_FSIZE (file size), RLIMIT_NPROC (process count), no core dumps,
 * PYTHONHASHSEED=0, a `python` on PATH, and an environment built from constants (nothing of this
 * process's: no API key reaches the program).
 * What a weaker plan leaves open on this host is `isolationRecord().limitations` (isolation.ts).
 *
 * What is and is not prevented, honestly:
 * - RLIMIT_NPROC counts every process of the real uid and never applies to root. With a fresh uid
 *   it bounds exactly the sandbox; for a non-root caller it is set to the caller's current count
 *   plus the limit; for root under `namespaces` or `none` it does not apply, so a fork bomb is
 *   bounded only by the timeout (and, under `namespaces`, dies with its pid namespace).
 * - With namespaces, writes outside the working directory land on the private tmpfs mounts or fail
 *   on the read-only root, and vanish with the sandbox; processes that escape the process group die
 *   with the pid namespace. With `uid` only, writes to world-writable directories other than
 *   /tmp, /var/tmp, /dev/shm and /run/lock would persist. With `none`, relative writes such as
 *   ../escape.txt stay inside the removed temp directory, but absolute writes anywhere the user may
 *   write persist, and processes that call setsid() outlive the timeout.
 * - The network is cut with namespaces, and under `uid` where a network namespace is allowed.
 * - tmpfs pages are memory that RLIMIT_AS does not count: with namespaces everything writable is
 *   bounded (maxFileMb for /tmp and /var/tmp together, 16 MB for /dev/shm, 1 MB for /run).
 * - The result travels on a private pipe; the sandbox contains accidents and runaway code, not an
 *   adversary that targets this harness.
 */

export interface SandboxLimits {
  /** Time limit of one execution, start-up included: wall-clock time less its waits for a CPU (starved-timeouts.ts). */
  timeoutMs: number;
  /** Address-space limit (RLIMIT_AS). */
  memoryMb: number;
  /** Processes and threads the code may have at once (RLIMIT_NPROC, see above). */
  maxProcesses: number;
  /** Largest file the code may write (RLIMIT_FSIZE; also the size of each private tmpfs). */
  maxFileMb: number;
  /** Characters of captured output kept in the result (head and tail). */
  maxOutputChars: number;
}

export const DEFAULT_SANDBOX_LIMITS: Readonly<SandboxLimits> = { timeoutMs: 30_000, memoryMb: 2048, maxProcesses: 128, maxFileMb: 256, maxOutputChars: 4000 };

export interface SandboxProgram {
  code: string;
  /** Python source defining `class TestCases(unittest.TestCase)`; it sees the code's names. */
  tests: string;
  /** A function the code must define (BigCodeBench's `task_func`); a missing one is an error. */
  entryPoint?: string;
  /** This program's time limit, replacing the sandbox's `timeoutMs` (slow tasks need more). */
  timeoutMs?: number;
}

export interface SandboxResult extends ExecutionOutcome {
  /** Why it failed (load error, failing tests' tracebacks), then what the program printed; truncated. */
  output: string;
}

export interface SandboxOptions {
  /** The interpreter (default /usr/bin/python3, not whatever python3 PATH finds first). */
  python?: string;
  /** Executions at once (default 2: the CI machine has 2 cores). */
  concurrency?: number;
  limits?: Partial<SandboxLimits>;
  /** A folder for results cached across processes (default: memory only). */
  cacheDir?: string;
  /** Force a weaker plan than the detected one (never a stronger one). */
  isolation?: IsolationPlan;
}

/**
 * Bumped whenever the harness changes in a way that changes results (invalidates disk caches).
 * 5: the limit counts the program's own time, and a starved timeout is never a result; version 4
 * cached wall-clock timeouts, some of them caused by load.
 */
const HARNESS_VERSION = 5;

export class PythonSandbox {
  readonly python: string;
  readonly limits: Readonly<SandboxLimits>;
  /** Executions actually run (re-runs included), results answered from the cache, and starved executions (starved-timeouts.ts). */
  readonly stats = { executions: 0, cacheHits: 0, starvedRetries: 0, unconfirmedTimeouts: 0 };
  private readonly slots: Semaphore;
  private readonly cache = new Map<string, Promise<SandboxResult>>();
  private readonly cacheDir: string | undefined;
  private readonly requestedPlan: IsolationPlan | undefined;

  constructor(options: SandboxOptions = {}) {
    this.python = options.python ?? "/usr/bin/python3";
    this.limits = { ...DEFAULT_SANDBOX_LIMITS, ...options.limits };
    validateLimits(this.limits);
    this.slots = new Semaphore(options.concurrency ?? 2);
    this.cacheDir = options.cacheDir;
    this.requestedPlan = options.isolation;
  }

  /**
   * The isolation plan executions use (detected once per interpreter and process). `none` while a
   * credential is in this process's environment is a FatalRunError unless the user opted in.
   */
  async isolation(): Promise<IsolationPlan> {
    const detected = await detectIsolation(this.python);
    const plan = this.requestedPlan && PLANS.indexOf(this.requestedPlan) > PLANS.indexOf(detected) ? this.requestedPlan : detected;
    refuseUnisolated(plan, process.env);
    return plan;
  }

  /** The plan and what it leaves open on this host: what run records show. */
  async isolationRecord(): Promise<IsolationRecord> {
    const plan = await this.isolation();
    const probe = await probePlan(this.python, plan);
    if (typeof probe === "string") throw new Error(`the sandbox's isolation plan ${plan} does not work on this host (${probe}); force a weaker one or none`);
    return { plan, limitations: limitationsOf(plan, { root: isRoot(), privateNetwork: probe.privateNetwork }) };
  }

  /**
   * Runs the code and its tests; identical programs under identical limits are answered from the
   * cache (memory, then `cacheDir`) without spawning anything, concurrent duplicates share one run.
   * An execution starved of CPU is run again, then thrown as a StarvedTimeoutError (never cached).
   */
  async run(program: SandboxProgram): Promise<SandboxResult> {
    const plan = await this.isolation();
    const limits = program.timeoutMs === undefined ? this.limits : { ...this.limits, timeoutMs: program.timeoutMs };
    if (limits !== this.limits) validateLimits(limits);
    const key = sha256Hex(stableStringify({ v: HARNESS_VERSION, python: this.python, plan, limits, program: { code: program.code, tests: program.tests, entryPoint: program.entryPoint ?? null } }));
    const cached = this.cache.get(key);
    if (cached) {
      this.stats.cacheHits++;
      return cached;
    }
    const fromDisk = this.readDisk(key);
    if (fromDisk) {
      this.stats.cacheHits++;
      this.cache.set(key, Promise.resolve(fromDisk));
      return fromDisk;
    }
    const pending = this.slots.run(() =>
      untilNotStarved(
        () => {
          this.stats.executions++;
          return onServer(this.python, (server) => execute(server, plan, limits, program));
        },
        limits.timeoutMs,
        this.stats,
      ),
    );
    this.cache.set(key, pending);
    try {
      const result = await pending;
      this.writeDisk(key, result);
      return result;
    } catch (err) {
      // A sandbox failure or a starved execution says nothing about the program: never cache it.
      this.cache.delete(key);
      throw err;
    }
  }

  private readDisk(key: string): SandboxResult | undefined {
    if (!this.cacheDir) return undefined;
    try {
      const value = JSON.parse(readFileSync(join(this.cacheDir, key.slice(0, 2), `${key}.json`), "utf8")) as SandboxResult;
      return typeof value.status === "string" && typeof value.output === "string" ? value : undefined;
    } catch {
      return undefined;
    }
  }

  private writeDisk(key: string, result: SandboxResult): void {
    if (!this.cacheDir) return;
    writeFileAtomic(join(this.cacheDir, key.slice(0, 2), `${key}.json`), JSON.stringify(result));
  }
}

function validateLimits(limits: SandboxLimits): void {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`sandbox limit ${name} must be a positive integer (got ${value})`);
  }
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** What a plan's probe learned: that it runs, and whether it got a network of its own; or why it failed. */
type PlanProbe = { privateNetwork: boolean } | string;

const probes = new Map<string, Promise<PlanProbe>>();

/** Runs a trivial program under `plan`, once per interpreter, plan and process. */
function probePlan(python: string, plan: IsolationPlan): Promise<PlanProbe> {
  const key = `${python}\0${plan}`;
  let probe = probes.get(key);
  if (!probe) {
    const program: SandboxProgram = {
      code: "def task_func():\n    return 41 + 1\n",
      tests: "import unittest\nclass TestCases(unittest.TestCase):\n    def test_it(self):\n        self.assertEqual(task_func(), 42)\n",
      entryPoint: "task_func",
    };
    probe = (async () => {
      if (plan.endsWith("uid") && !isRoot()) return "a fresh uid needs root";
      try {
        const { result, privateNetwork } = await onServer(python, (server) => execute(server, plan, { ...DEFAULT_SANDBOX_LIMITS, timeoutMs: 15_000 }, program));
        return result.status === "pass" ? { privateNetwork } : `${result.status} ${result.output.split("\n")[0]}`;
      } catch (err) {
        return (err as Error).message;
      }
    })();
    probes.set(key, probe);
  }
  return probe;
}

/** The strongest plan under which a trivial program passes, tried from strongest to weakest. */
export async function detectIsolation(python: string): Promise<IsolationPlan> {
  const failures: string[] = [];
  for (const plan of PLANS) {
    const probe = await probePlan(python, plan);
    if (typeof probe !== "string") return plan;
    failures.push(`${plan}: ${probe}`);
  }
  throw new Error(`the Python sandbox cannot run even without isolation (${failures.join("; ")})`);
}

let uidCounter = 0;

/** A uid no other live sandbox uses: this process's pid and a per-process counter. */
function freshUid(): number {
  return 0x40000000 + (process.pid % 0x400000) * 256 + (uidCounter++ % 256);
}

/** Folders of this process the program has no business reading (its project, its home's dotfiles); the server skips any the interpreter needs. */
const CALLER_DIRS = [homedir(), process.cwd()];

/**
 * One execution under a plan on a fork server, whether it had a network of its own, and whether
 * it was starved (killed at MAX_STRETCH× its limit while still owed time). Throws only when the
 * sandbox itself fails (never cached).
 */
async function execute(server: ForkServer, plan: IsolationPlan, limits: SandboxLimits, program: SandboxProgram): Promise<{ result: SandboxResult; privateNetwork: boolean; starved: boolean }> {
  const namespaces = plan.startsWith("namespaces");
  const dropUid = plan.endsWith("uid") ? freshUid() : null;
  // Without a private /tmp the working directory lives on the host, under a folder the
  // unprivileged uid may enter but not write (so ../escape.txt fails).
  const hostDir = namespaces ? null : mkdtempSync(join(tmpdir(), "optimas-sandbox-"));
  if (hostDir) chmodSync(hostDir, 0o711);
  try {
    const payload = {
      // A fresh uid needs real root in the initial user namespace; otherwise a user namespace,
      // which also works for root where CAP_SYS_ADMIN is withheld (containers).
      namespaces: namespaces ? (dropUid !== null ? "root" : "user") : null,
      dropUid,
      hostDir,
      hideDirs: CALLER_DIRS,
      files: { "solution.py": program.code, "tests.py": program.tests },
      entryPoint: program.entryPoint ?? "",
      limits,
      maxStretch: MAX_STRETCH,
    };
    const answer = await server.request(payload, limits.timeoutMs * MAX_STRETCH + SERVER_GRACE_MS);
    return { result: interpret(answer, limits), privateNetwork: answer.privateNetwork === true, starved: answer.starved === true };
  } finally {
    if (hostDir) rmSync(hostDir, { recursive: true, force: true });
  }
}

/** What the server's runner answers for one execution. */
interface RunnerAnswer {
  timedOut: boolean;
  /** Timed out at the stretch cap while still owed time of its own (absent when it did not run). */
  starved?: boolean;
  reports: Record<string, unknown>[];
  output: string;
  /** Absent when the runner failed before it could tell. */
  privateNetwork?: boolean;
}

/** How long past a program's stretched limit the server may take to answer before it is presumed stuck. */
const SERVER_GRACE_MS = 15_000;

const SERVER_SOURCE = readFileSync(join(__dirname, "sandbox_server.py"), "utf8");

/**
 * The server's whole environment, from constants: nothing of this process's (API keys, tokens)
 * reaches it, its /proc/<pid>/environ, or the executions it forks. PYTHONHASHSEED is fixed at
 * start-up and inherited by every execution.
 */
const SERVER_ENV: Readonly<Record<string, string>> = { PATH: "/usr/local/bin:/usr/bin:/bin", LANG: "C.UTF-8", PYTHONHASHSEED: "0", PYTHONIOENCODING: "utf-8" };

/**
 * One long-lived `sandbox_server.py` process (see its header), answering one request at a time.
 * Its pipes do not keep this process alive; a pending request's watchdog does.
 */
class ForkServer {
  private readonly child: ChildProcess;
  private pending: { resolve: (answer: RunnerAnswer) => void; reject: (err: Error) => void } | undefined;
  private received = "";
  private errors = "";
  /** Why the server can no longer be used, once it cannot. */
  failure: Error | undefined;

  constructor(readonly python: string) {
    // Detached: the server leads its own process group, so a stuck one can be killed whole.
    this.child = spawn(python, ["-s", "-B", "-c", SERVER_SOURCE], {
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
      env: SERVER_ENV,
    });
    this.child.unref();
    for (const stream of [this.child.stdin, this.child.stdout, this.child.stderr]) (stream as unknown as Socket).unref();
    this.child.stdout!.on("data", (chunk: Buffer) => this.receive(chunk.toString("utf8")));
    this.child.stderr!.on("data", (chunk: Buffer) => (this.errors = (this.errors + chunk.toString("utf8")).slice(-4000)));
    this.child.stdin!.on("error", () => undefined);
    this.child.on("error", (err) => this.fail(new Error(`cannot start the Python sandbox with ${python}: ${(err as NodeJS.ErrnoException).code ?? err.message}; install python3 or pass the interpreter's path as the sandbox's python option`)));
    this.child.on("exit", (code, signal) => this.fail(new Error(`the Python sandbox server ended (${signal ?? `exit status ${code}`})${this.errors ? `: ${this.errors.trim().split("\n").pop()}` : ""}`)));
  }

  request(payload: unknown, watchdogMs: number): Promise<RunnerAnswer> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) throw new Error("a sandbox server answers one request at a time");
    return new Promise<RunnerAnswer>((resolve, reject) => {
      const watchdog = setTimeout(() => {
        this.fail(new Error(`the Python sandbox server gave no answer within ${watchdogMs} ms`));
        this.kill();
      }, watchdogMs);
      this.pending = {
        resolve: (answer) => (clearTimeout(watchdog), resolve(answer)),
        reject: (err) => (clearTimeout(watchdog), reject(err)),
      };
      this.child.stdin!.write(JSON.stringify(payload) + "\n");
    });
  }

  /** Ends the server (an idle one also ends by itself when this process exits). */
  kill(): void {
    try {
      process.kill(-this.child.pid!, "SIGKILL");
    } catch {
      // Already gone.
    }
  }

  private receive(text: string): void {
    this.received += text;
    const newline = this.received.indexOf("\n");
    if (newline < 0) return;
    const line = this.received.slice(0, newline);
    this.received = this.received.slice(newline + 1);
    const pending = this.pending;
    this.pending = undefined;
    if (!pending) return;
    try {
      pending.resolve(JSON.parse(line) as RunnerAnswer);
    } catch {
      pending.reject(new Error(`the Python sandbox server answered something that is not JSON: ${line.slice(0, 200)}`));
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(this.failure);
  }
}

/** Idle servers per interpreter, shared by every sandbox of this process (each forks a fresh runner per request). */
const idleServers = new Map<string, ForkServer[]>();

async function onServer<T>(python: string, use: (server: ForkServer) => Promise<T>): Promise<T> {
  const idle = idleServers.get(python) ?? [];
  idleServers.set(python, idle);
  // An idle server may have died since (killed, out of memory): it is dropped, not used.
  let server = idle.pop();
  while (server?.failure) server = idle.pop();
  server ??= new ForkServer(python);
  try {
    return await use(server);
  } finally {
    if (server.failure) server.kill();
    else idle.push(server);
  }
}

function interpret(run: RunnerAnswer, limits: SandboxLimits): SandboxResult {
  const find = (kind: string): Record<string, unknown> | undefined => run.reports.find((r) => r.kind === kind);
  const result = find("result");
  const strays = find("strays");
  const strayNote = strays ? `\n[sandbox] removed ${(strays.paths as string[]).length} file(s) the code wrote outside its directory: ${(strays.paths as string[]).slice(0, 5).join(", ")}` : "";
  const compose = (detail: string): string => truncateMiddle([detail.trimEnd(), run.output.trimEnd() ? `--- output ---\n${run.output.trimEnd()}` : "", strayNote.trim()].filter(Boolean).join("\n"), limits.maxOutputChars);
  if (run.timedOut) {
    const counts = result ? { passed: Number(result.passed), total: Number(result.total) } : { passed: 0, total: 0 };
    return { status: "timeout", ...counts, output: compose(`timed out after ${limits.timeoutMs} ms`) };
  }
  if (result) {
    return { status: result.status as ExecutionStatus, passed: Number(result.passed), total: Number(result.total), output: compose(String(result.detail ?? "")) };
  }
  const infra = find("infra");
  if (infra) throw new Error(`the Python sandbox failed: ${String(infra.error)}`);
  const exit = find("exit");
  if (exit) return { status: "error", passed: 0, total: 0, output: compose(`the program ended without a test report (${String(exit.how)})`) };
  throw new Error("the Python sandbox ended without a report");
}

function truncateMiddle(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const half = Math.floor(limit / 2);
  return `${text.slice(0, half)}\n…[${text.length - 2 * half} characters truncated]…\n${text.slice(-half)}`;
}
