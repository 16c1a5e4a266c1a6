import type { OptimizeJobSpec } from "./optimize-job";

/** Messages between the suite runner and its worker processes (one job in flight per worker). */

export interface WorkerJob {
  key: string;
  spec: OptimizeJobSpec;
  dir: string;
  /** Skip the optimization when result.json exists (only the judge's accuracy is missing). */
  resultExists: boolean;
  judgeAccuracy: boolean;
}

export type WorkerReply = { kind: "done"; key: string } | { kind: "failed"; key: string; error: string };
