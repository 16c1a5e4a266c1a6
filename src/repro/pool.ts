import { fork, type ChildProcess } from "node:child_process";
import type { WorkerJob, WorkerReply } from "./worker-protocol";

/**
 * Runs jobs on `workers` child processes, each fed one job at a time in list order. A worker that
 * dies mid-job fails that job and is replaced for the rest. On abort every worker is killed at
 * once and the jobs in flight stay unfinished (their run directories resume later).
 */

export interface PoolOptions {
  workers: number;
  signal?: AbortSignal;
  /** Called as each job ends, with its wall time in seconds. */
  onReply: (job: WorkerJob, reply: WorkerReply, wallS: number) => void;
}

const WORKER_ENTRY = require.resolve("./worker");
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
function runOn(worker: Worker, job: WorkerJob): Promise<WorkerReply | { exited: string }> {
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

export async function runPool(jobs: readonly WorkerJob[], options: PoolOptions): Promise<void> {
  const live = new Set<Worker>();
  const aborted = () => options.signal?.aborted === true;
  const onAbort = () => live.forEach((w) => void stop(w, true));
  options.signal?.addEventListener("abort", onAbort);
  let next = 0;
  const lane = async (): Promise<void> => {
    let worker: Worker | undefined;
    while (!aborted() && next < jobs.length) {
      const job = jobs[next++]!;
      if (!worker) {
        worker = spawnWorker();
        live.add(worker);
      }
      const started = Date.now();
      const outcome = await runOn(worker, job);
      if (aborted()) break;
      if ("exited" in outcome) {
        const detail = crashReason(worker.stderr);
        live.delete(worker);
        worker = undefined;
        options.onReply(job, { kind: "failed", key: job.key, error: `worker process died (${outcome.exited})${detail ? `: ${detail}` : ""}` }, (Date.now() - started) / 1000);
      } else {
        options.onReply(job, outcome, (Date.now() - started) / 1000);
      }
    }
    if (worker) {
      live.delete(worker);
      await stop(worker, aborted());
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.workers, jobs.length)) }, lane));
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    await Promise.all([...live].map((w) => stop(w, true)));
  }
}
