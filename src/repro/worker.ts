import { withDirLock } from "../core/dir-lock";
import { RunDir } from "../core/run-dir";
import { RedisEntryStore } from "../lm/redis-cache";
import { measureJudgeAccuracy } from "./judge-accuracy";
import { runOptimizeJob } from "./optimize-job";
import type { ChildJob, WorkerReply } from "./worker-protocol";

/**
 * Entry of a suite worker process (forked by pool.ts, for `optimas reproduce` or `optimas worker`):
 * runs one job at a time as the parent sends them, each in its run directory under that
 * directory's lock, and exits when the parent goes away. A process of its own per worker, because
 * tfjs (wasm) and SimLM compute on one thread per process.
 */

if (!process.send) throw new Error("src/repro/worker.ts runs as a child process of `optimas reproduce` or `optimas worker`, not on its own");
const parentPid = process.ppid;

/**
 * The parent died or gave up on this worker: stop at once; the run directory stays resumable.
 * 'disconnect' only comes when the event loop gets to I/O, and an offline run is one long chain of
 * promises (SimLM answers without I/O) that does not get there for seconds: the worker would go on
 * writing its run directory. So every run-directory write first checks that the parent is still
 * this process's parent (an orphan is re-parented, so its ppid changes).
 */
const exitIfOrphaned = () => {
  if (process.ppid !== parentPid) process.exit(0);
};
process.on("disconnect", () => process.exit(0));
RunDir.checkBeforeWrites(exitIfOrphaned);

/** The shared response cache of a queue worker (`--cache-url`), one connection per process. */
let shared: RedisEntryStore | undefined;

async function runJob(job: ChildJob): Promise<WorkerReply> {
  if (job.cacheUrl !== undefined) shared ??= new RedisEntryStore(job.cacheUrl);
  try {
    await withDirLock(
      job.dir,
      async () => {
        if (!job.resultExists) await runOptimizeJob(job.spec, job.dir, undefined, shared);
        if (job.judgeAccuracy) await measureJudgeAccuracy(job.spec, new RunDir(job.dir));
      },
      { command: `optimas suite worker for ${job.key} (parent pid ${parentPid})` },
    );
    return { kind: "done", key: job.key };
  } catch (err) {
    return { kind: "failed", key: job.key, error: (err as Error).message?.split("\n")[0] ?? String(err) };
  }
}

process.on("message", (job: ChildJob) => {
  void runJob(job).then((reply) => process.send?.(reply));
});
