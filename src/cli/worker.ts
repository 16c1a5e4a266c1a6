import * as os from "node:os";
import { loadSuiteConfig } from "../repro/suite-config";
import { serveQueue } from "../repro/queue-worker";

/** `optimas worker`: runs the cells of one suite's queue until stopped (repro/queue-worker.ts). */

export interface WorkerArgs {
  queue: string;
  suite: string;
  concurrency: number;
  cacheUrl?: string;
  stallTimeout: number;
}

export async function workerCommand(args: WorkerArgs): Promise<void> {
  // The queue is named after the suite; a path to a suite file names it by the file's "name".
  const suite = loadSuiteConfig(args.suite).name;
  const worker = await serveQueue({ url: args.queue, suite, concurrency: args.concurrency, cacheUrl: args.cacheUrl, stallTimeoutS: args.stallTimeout, log: (line) => console.log(line) });
  // Serves until a signal: the cells in flight go back on the queue once their locks lapse (the stall timeout).
  await new Promise<never>(() => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      process.once(signal, () => {
        console.log(`${worker.id}: ${signal}: stopping; cells in flight return to the queue after ${args.stallTimeout} s and resume from their checkpoints`);
        worker.kill();
        process.exit(128 + os.constants.signals[signal]);
      });
    }
  });
}
