import type { CausedError, FailureCause } from "../../core/failure";

/**
 * Machine load is not a verdict. A program's time limit counts its own time: wall-clock time minus
 * the time its processes waited for a CPU that other processes had (the server's `time_owed`
 * measures it from Linux's run-queue delay). So a program that loops forever or sleeps past its
 * limit times out on an idle machine and on one at load 8 alike, and that timeout is the model's:
 * it scores 0 and is cached. A program held up by load gets that much more wall-clock time, up to
 * MAX_STRETCH times its limit. One still owed time at that cap was *starved*: its timeout says
 * nothing about the program, so it is never a result. It is run again (STARVED_RETRIES times,
 * same limits); starved every time, it is a StarvedTimeoutError, which a stage counts as a failed
 * run of cause `sandbox-starved`, never a score, and which nothing caches.
 */

/** How many times its limit an execution may take in wall-clock time while it waits for a CPU. */
export const MAX_STRETCH = 4;

/** Re-runs of an execution whose timeout was starved, before it is given up as a failure. */
export const STARVED_RETRIES = 1;

export const STARVED_CAUSE: FailureCause = "sandbox-starved";

/** An execution starved of CPU on every attempt: a counted failure, not a timeout of the program. */
export class StarvedTimeoutError extends Error implements CausedError {
  readonly failureCause = STARVED_CAUSE;
  constructor(limitMs: number, attempts: number) {
    super(`the Python sandbox could not give a program its ${limitMs} ms: the machine kept it waiting for a CPU past ${MAX_STRETCH}× its limit on ${attempts} attempt(s)`);
    this.name = "StarvedTimeoutError";
  }
}

/** What the sandbox counts of starved executions (part of its `stats`). */
export interface StarvedCounts {
  /** Executions run again because their timeout was starved. */
  starvedRetries: number;
  /** Executions given up as starved (each a StarvedTimeoutError). */
  unconfirmedTimeouts: number;
}

/** Runs `attempt` until it is not starved, at most 1 + STARVED_RETRIES times, counting in `counts`. */
export async function untilNotStarved<T>(attempt: () => Promise<{ result: T; starved: boolean }>, limitMs: number, counts: StarvedCounts): Promise<T> {
  for (let tries = 1; ; tries++) {
    const { result, starved } = await attempt();
    if (!starved) return result;
    if (tries > STARVED_RETRIES) {
      counts.unconfirmedTimeouts++;
      throw new StarvedTimeoutError(limitMs, tries);
    }
    counts.starvedRetries++;
  }
}
