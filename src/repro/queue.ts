import { createHash } from "node:crypto";
import * as path from "node:path";
import type * as BullMQ from "bullmq";
import { FatalRunError } from "../core/failure";
import { loadIORedis, redisTarget, redisWhere } from "../lm/redis-url";
import type { JobRunner } from "./pool";
import type { WorkerJob, WorkerReply } from "./worker-protocol";

/**
 * A suite's cells on a BullMQ queue (`optimas reproduce --queue redis://…`): the suite enqueues
 * its unfinished cells and waits for their replies; `optimas worker` processes on any machine take
 * them (repro/queue-worker.ts). A cell's job id is derived from its run directory, so a cell is on
 * the queue at most once, whoever enqueues it. The payload is the WorkerJob the local pool sends
 * its children: no API key, no password. BullMQ and ioredis are loaded when a queue is first used,
 * so `optimas reproduce` without `--queue` never loads them.
 */

export function loadBullMQ(): typeof BullMQ {
  return require("bullmq") as typeof BullMQ;
}

/** BullMQ queue names may not hold ':'; a suite's name is a file name. */
export function queueName(suiteName: string): string {
  return `optimas-${suiteName}`;
}

/** One id per run directory (the shared path every machine sees). */
export function jobIdOf(dir: string): string {
  return `cell-${createHash("sha256").update(path.resolve(dir)).digest("hex").slice(0, 32)}`;
}

/** A worker's reply, with who ran it (`host:pid`). */
export type QueueReply = WorkerReply & { worker: string };

/** Stops with one line when Redis cannot be reached, instead of BullMQ retrying forever. */
export async function assertReachable(url: string, fix: string): Promise<void> {
  const probe = new (loadIORedis())({ ...redisTarget(url), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 5000 });
  probe.on("error", () => undefined);
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    throw new FatalRunError(redisWhere(url), `cannot reach Redis (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, fix);
  } finally {
    probe.disconnect();
  }
}

/** Job states in which no worker holds the job: it can be replaced. */
const NOT_TAKEN = new Set(["waiting", "prioritized", "delayed", "waiting-children"]);

/**
 * The runner `runSuite` uses instead of its local pool: enqueues the jobs (a job a worker already
 * holds is waited for, not enqueued again; a finished or waiting one is replaced), then reports
 * each reply as it comes, with the wall time the worker spent on it. Aborting stops the waiting and
 * takes the jobs no worker holds off the queue; cells in flight finish on their workers.
 */
export function queueRunner(url: string, suiteName: string): JobRunner {
  return async (jobs, options) => {
    if (jobs.length === 0) return;
    await assertReachable(url, `start redis-server there, or check --queue's host and port (${redisWhere(url)})`);
    const name = queueName(suiteName);
    // BullMQ opens its own connections from these options.
    const connection = redisTarget(url);
    const { Queue, QueueEvents } = loadBullMQ();
    const queue = new Queue<WorkerJob, QueueReply>(name, { connection });
    const events = new QueueEvents(name, { connection });
    const byId = new Map(jobs.map((j) => [jobIdOf(j.dir), j]));
    const pending = new Set(byId.keys());
    let allReplied: () => void = () => undefined;
    const replied = new Promise<void>((resolve) => (allReplied = resolve));
    let lost: unknown;
    /** Reports the job's reply once it is finished (from an event, or the first look at the queue). */
    const collect = async (id: string): Promise<void> => {
      if (!pending.has(id)) return;
      const job = await queue.getJob(id);
      const state = await job?.getState();
      if (!job || (state !== "completed" && state !== "failed") || !pending.delete(id)) return;
      const data = byId.get(id)!;
      const reply: WorkerReply = state === "completed" ? job.returnvalue : { kind: "failed", key: data.key, error: job.failedReason };
      options.onReply(data, reply, ((job.finishedOn ?? 0) - (job.processedOn ?? 0)) / 1000);
      await job.remove();
      if (pending.size === 0) allReplied();
    };
    const onAbort = () => allReplied();
    options.signal?.addEventListener("abort", onAbort);
    try {
      await events.waitUntilReady();
      // A reply that cannot be read (Redis went away) ends the wait with that error.
      const heard = ({ jobId }: { jobId: string }) =>
        void collect(jobId).catch((err: unknown) => {
          lost ??= err;
          allReplied();
        });
      events.on("completed", heard);
      events.on("failed", heard);
      const fresh = [];
      for (const [id, job] of byId) {
        const existing = await queue.getJob(id);
        if (existing) {
          const state = await existing.getState();
          if (!NOT_TAKEN.has(state) && state !== "completed" && state !== "failed") continue; // a worker holds it
          await existing.remove();
        }
        fresh.push({ name: job.key, data: job, opts: { jobId: id } });
      }
      await queue.addBulk(fresh);
      // Jobs kept from an earlier call may have finished before the events were listened to.
      await Promise.all([...pending].map(collect));
      await replied;
      if (lost !== undefined) throw lost;
      if (options.signal?.aborted) {
        for (const id of pending) {
          const job = await queue.getJob(id);
          if (job && NOT_TAKEN.has(await job.getState())) await job.remove();
        }
      }
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
      await events.close();
      await queue.close();
    }
  };
}
