import type { OptimizeJobSpec } from "./optimize-job";

/**
 * Messages between the suite runner and its worker processes (one job in flight per worker). A
 * WorkerJob is also the payload of a queued cell (repro/queue.ts), so it holds no secret: every
 * worker reads its API key from its own environment.
 */

export interface WorkerJob {
  key: string;
  spec: OptimizeJobSpec;
  dir: string;
  /** Skip the optimization when result.json exists (only the judge's accuracy is missing). */
  resultExists: boolean;
  judgeAccuracy: boolean;
}

/** What a child process gets: the job, and the shared response cache its runner was given (`optimas worker --cache-url`). */
export interface ChildJob extends WorkerJob {
  cacheUrl?: string;
}

export type WorkerReply = { kind: "done"; key: string } | { kind: "failed"; key: string; error: string };
