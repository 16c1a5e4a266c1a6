import * as os from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { clearStaleLock, lockHolder } from "../core/dir-lock";
import { redisTarget, redisWhere } from "../lm/redis-url";
import { ChildLane } from "./pool";
import { assertReachable, loadBullMQ, queueName, type QueueReply } from "./queue";
import type { WorkerJob } from "./worker-protocol";

/**
 * `optimas worker`: takes a suite's cells off its queue (repro/queue.ts) and runs each on a child
 * process, as the local pool does (repro/worker.ts, under the run directory's lock). This process
 * only forwards, so its event loop stays free to renew BullMQ's job locks while a child computes.
 *
 * A worker that dies (SIGKILL, a lost machine) stops renewing; after `stallTimeoutS` another
 * worker's stalled-job check puts the cell back on the queue, and whoever takes it resumes the run
 * directory from its last checkpoint (the dead worker's children exit with it, releasing their
 * locks; see worker.ts). The spend of an interrupted iteration is dropped with it, so nothing is
 * counted twice.
 */

export interface QueueWorkerOptions {
  url: string;
  suite: string;
  concurrency: number;
  /** Shared response cache (`--cache-url`), handed to the children; never part of a job. */
  cacheUrl?: string;
  /** Seconds without a lock renewal before a cell counts as stalled and goes to another worker. */
  stallTimeoutS: number;
  log: (line: string) => void;
}

/** Stalls a cell may go through before BullMQ fails it (each one a worker lost while running it). */
const MAX_STALLS = 3;

export interface QueueWorker {
  /** `host:pid`, as replies and log lines name this worker. */
  id: string;
  /** Stops at once: children killed, cells in flight left to the stalled-job check of other workers. */
  kill(): void;
}

export async function serveQueue(options: QueueWorkerOptions): Promise<QueueWorker> {
  await assertReachable(options.url, `start redis-server there, or check --queue's host and port`);
  const id = `${os.hostname()}:${process.pid}`;
  const stallMs = options.stallTimeoutS * 1000;
  const idle: ChildLane[] = [];
  const lanes = new Set<ChildLane>();
  const processor = async (job: { id?: string; data: WorkerJob }): Promise<QueueReply> => {
    const lane = idle.pop() ?? new ChildLane();
    lanes.add(lane);
    const started = Date.now();
    try {
      await untilReleased(job.data.dir, 2 * stallMs, options.log);
      options.log(`${id}: started ${job.data.key}`);
      const reply = await lane.run({ ...job.data, ...(options.cacheUrl !== undefined && { cacheUrl: options.cacheUrl }) });
      options.log(`${id}: ${reply.kind === "done" ? "finished" : `failed (${reply.error})`} ${job.data.key} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return { ...reply, worker: id };
    } finally {
      idle.push(lane);
    }
  };
  const worker = new (loadBullMQ().Worker)<WorkerJob, QueueReply>(queueName(options.suite), processor, {
    connection: redisTarget(options.url),
    concurrency: options.concurrency,
    lockDuration: stallMs,
    stalledInterval: stallMs,
    maxStalledCount: MAX_STALLS,
  });
  worker.on("error", (err) => options.log(`${id}: queue error: ${err.message}`));
  await worker.waitUntilReady();
  options.log(`${id}: serving queue ${queueName(options.suite)} at ${redisWhere(options.url)} with ${options.concurrency} child process(es)${options.cacheUrl ? `, shared response cache at ${redisWhere(options.cacheUrl)}` : ""}`);
  return {
    id,
    kill: () => {
      for (const lane of lanes) void lane.stop(true);
    },
  };
}

/**
 * Waits while a live process holds the run directory: a stalled cell's previous child may still be
 * finishing its last write (it exits at the next one, worker.ts). After `boundMs` the child's own
 * lock attempt names the holder.
 */
async function untilReleased(dir: string, boundMs: number, log: (line: string) => void): Promise<void> {
  for (const start = Date.now(); Date.now() - start < boundMs; await sleep(250)) {
    const holder = lockHolder(dir);
    if (holder === undefined) return;
    const gone = clearStaleLock(dir);
    if (gone) {
      log(`recovered the lock of ${dir}: pid ${gone.pid} (${gone.command}) is gone`);
      return;
    }
  }
}
