import { RunDir } from "../core/run-dir";
import { measureJudgeAccuracy } from "./judge-accuracy";
import { runOptimizeJob } from "./optimize-job";
import type { WorkerJob, WorkerReply } from "./worker-protocol";

/**
 * Entry of a suite worker process (forked by pool.ts): runs one job at a time as the parent sends
 * them, each in its run directory, and exits when the parent goes away. A process of its own per
 * worker, because tfjs (wasm) and SimLM compute on one thread per process.
 */

async function runJob(job: WorkerJob): Promise<WorkerReply> {
  try {
    if (!job.resultExists) await runOptimizeJob(job.spec, job.dir);
    if (job.judgeAccuracy) await measureJudgeAccuracy(job.spec, new RunDir(job.dir));
    return { kind: "done", key: job.key };
  } catch (err) {
    return { kind: "failed", key: job.key, error: (err as Error).message?.split("\n")[0] ?? String(err) };
  }
}

if (!process.send) throw new Error("src/repro/worker.ts runs as a child process of `optimas reproduce`, not on its own");
process.on("message", (job: WorkerJob) => {
  void runJob(job).then((reply) => process.send?.(reply));
});
// The parent died or gave up on this worker: stop at once; the run directory stays resumable.
process.on("disconnect", () => process.exit(0));
