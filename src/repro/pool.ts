import { fork, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import type { ChildJob, WorkerJob, WorkerReply } from "./worker-protocol";

/**
 * Runs jobs on `workers` child processes, each fed one job at a time in list order. A worker that
 * dies mid-job fails that job and is replaced for the rest. On abort every worker is killed at
 * once and the jobs in flight stay unfinished (their run directories resume later).
 * `optimas worker` (repro/queue-worker.ts) runs the cells it takes off a queue on the same child
 * processes, through `ChildLane`.
 */

/** How a suite's jobs are run: on this machine's child processes (runPool) or through a queue (repro/queue.ts). */
export type JobRunner = (jobs: readonly WorkerJob[], options: PoolOptions) => Promise<void>;

export interface PoolOptions {
  workers: number;
  signal?: AbortSignal;
  /** Called as each job ends, with its wall time in seconds. */
  onReply: (job: WorkerJob, reply: WorkerReply, wallS: number) => void;
}

// The worker's source file next to this one, named in full: tslab (notebooks) compiles cells in
// memory and emits no worker file, so `require.resolve("./worker")` would throw at load there.
const WORKER_ENTRY = path.join(__dirname, "worker.ts");
// The worker is TypeScript: tsx's CommonJS hook compiles it, whatever flags this process runs with.
const WORKER_EXEC_ARGV = ["--require", require.resolve("tsx/cjs")];
const STDERR_TAIL = 2000;

interface Worker {
  child: ChildProcess;
  stderr: string;
}

function spawnWorker(): Worker {
  // Detached: a Ctrl-C on the terminal reaches only the parent, which stops the workers itself.
  const child = fork(WORKER_ENTRY, [], { execArgv: WORKER_EXEC_ARGV, stdio: ["ignore", "ignore", "pipe", "ipc"], detached: true });
  const worker: Worker = { child, stderr: "" };
  child.stderr!.on("data", (chunk: Buffer) => {
    worker.stderr = (worker.stderr + chunk.toString()).slice(-STDERR_TAIL);
  });
  // A failed send or spawn: the 'exit' that follows fails the job; keep the reason for its message.
  child.on("error", (err) => {
    worker.stderr += `\n${err.message}`;
  });
  return worker;
}

/** The line of a dead worker's stderr that says why: the last error line, not Node's version footer. */
function crashReason(stderr: string): string {
  const lines = stderr.split("\n").map((l) => l.trim()).filter((l) => l.length > 0 && !/^Node\.js v\d/.test(l));
  return [...lines].reverse().find((l) => /error/i.test(l)) ?? lines.pop() ?? "";
}

/** Sends one job and waits for its reply, or for the worker's death. */
function runOn(worker: Worker, job: ChildJob): Promise<WorkerReply | { exited: string }> {
  return new Promise((resolve) => {
    const onMessage = (reply: WorkerReply) => {
      if (reply.key !== job.key) return;
      cleanup();
      resolve(reply);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      cleanup();
      resolve({ exited: signal ? `signal ${signal}` : `code ${code}` });
    };
    const cleanup = () => {
      worker.child.off("message", onMessage);
      worker.child.off("exit", onExit);
    };
    worker.child.on("message", onMessage);
    worker.child.on("exit", onExit);
    worker.child.send(job);
  });
}

/** Stops a worker: between jobs by closing its channel (it exits on disconnect), on abort by SIGKILL. */
function stop(worker: Worker, hard: boolean): Promise<void> {
  const child = worker.child;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    if (hard || !child.connected) child.kill("SIGKILL");
    else child.disconnect();
  });
}

/** One child process at a time: spawned on first use, replaced after it dies (its job failed with the reason). */
export class ChildLane {
  private worker: Worker | undefined;

  /** The child's pid while one is running. */
  get pid(): number | undefined {
    return this.worker?.child.pid;
  }

  async run(job: ChildJob): Promise<WorkerReply> {
    this.worker ??= spawnWorker();
    const worker = this.worker;
    const outcome = await runOn(worker, job);
    if (!("exited" in outcome)) return outcome;
    this.worker = undefined;
    const detail = crashReason(worker.stderr);
    return { kind: "failed", key: job.key, error: `worker process died (${outcome.exited})${detail ? `: ${detail}` : ""}` };
  }

  /** Stops the child: between jobs by closing its channel, `hard` by SIGKILL. */
  async stop(hard: boolean): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await stop(worker, hard);
  }
}

export async function runPool(jobs: readonly WorkerJob[], options: PoolOptions): Promise<void> {
  const live = new Set<ChildLane>();
  const aborted = () => options.signal?.aborted === true;
  const onAbort = () => live.forEach((w) => void w.stop(true));
  options.signal?.addEventListener("abort", onAbort);
  let next = 0;
  const lane = async (): Promise<void> => {
    const child = new ChildLane();
    live.add(child);
    while (!aborted() && next < jobs.length) {
      const job = jobs[next++]!;
      const started = Date.now();
      const reply = await child.run(job);
      if (aborted()) break;
      options.onReply(job, reply, (Date.now() - started) / 1000);
    }
    live.delete(child);
    await child.stop(aborted());
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.workers, jobs.length)) }, lane));
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    await Promise.all([...live].map((w) => w.stop(true)));
  }
}
