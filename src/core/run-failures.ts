import { BudgetExceededError } from "./budget";
import { FailureCounts, FatalRunError, MAX_EXHAUSTED_SHARE, failureCauseOf, type FailureCause } from "./failure";

/**
 * How one stage (baseline, collection, validation, test) treats a system run that threw: a fatal
 * error or a budget cap stops the run; a transient failure (retries ran out, the connection broke,
 * a timeout) is re-run with the same sample indices before it counts; anything else is a counted
 * failure by cause, excluded from the stage's means — never a score of 0.
 */

/** Re-runs of a system run after a transient failure (SimLM and the cache make a re-run end identically). */
export const RUN_RERUNS = 2;

const TRANSIENT_CAUSES: ReadonlySet<FailureCause> = new Set(["retries-exhausted", "transport", "timeout"]);

export function isTransientFailure(err: unknown): boolean {
  return TRANSIENT_CAUSES.has(failureCauseOf(err));
}

/** Errors that end the whole run instead of one system run. */
export function stopsTheRun(err: unknown): boolean {
  return err instanceof FatalRunError || err instanceof BudgetExceededError;
}

/** Runs `attempt`, re-running it up to RUN_RERUNS times while it fails transiently. */
export async function rerunTransient<T>(attempt: () => Promise<T>, onRerun: () => void = () => undefined): Promise<T> {
  for (let rerun = 0; ; rerun++) {
    try {
      return await attempt();
    } catch (err) {
      if (rerun >= RUN_RERUNS || !isTransientFailure(err)) throw err;
      onRerun();
    }
  }
}

export class StageFailures {
  private firstError: string | undefined;
  private readonly plannedRuns: number;

  /**
   * @param stage what the runs are for ("validate", "test", "collect", …), named in fatal lines
   * @param endpoint the model endpoint the runs call (named when retries run out too often)
   * @param plannedRuns runs this part of the stage will make, when known: it stops as soon as its transient failures exceed the share of them
   * @param counts where the runs are counted; a stage made of several parts (a baseline's minibatches) passes its running counts, so the share is over all of them
   */
  constructor(
    readonly stage: string,
    readonly endpoint: string,
    plannedRuns = 0,
    readonly counts = new FailureCounts(),
  ) {
    this.plannedRuns = counts.runs + plannedRuns;
  }

  /** Counts a finished run whose trace holds a reply the parser could not read (a legitimate 0). */
  recordParse(trace: readonly { parseFailed?: boolean }[]): void {
    if (trace.some((r) => r.parseFailed)) this.counts.recordParseFailure();
  }

  /** Records one failed run (or component call); rethrows what stops the run, and stops a stage whose endpoint fails too often. */
  record(err: unknown): void {
    if (stopsTheRun(err)) throw err;
    this.counts.recordFailure(failureCauseOf(err));
    this.firstError ??= err instanceof Error ? err.message : String(err);
    this.checkTransientShare(Math.max(this.plannedRuns, this.counts.runs));
  }

  /** The end of the stage: fatal when too many runs failed transiently or when no run succeeded. */
  finish(): FailureCounts {
    this.checkTransientShare(this.counts.runs);
    if (this.counts.runs > 0 && this.counts.failedTotal >= this.counts.runs) {
      throw new FatalRunError(
        `stage "${this.stage}"`,
        `every one of its ${this.counts.runs} system runs failed (${this.counts.describe()}${this.firstError ? `; first: ${this.firstError}` : ""})`,
        "fix the cause above, then run `optimas resume <run-dir>`",
      );
    }
    return this.counts;
  }

  private checkTransientShare(runs: number): void {
    const transient = Object.entries(this.counts.failed)
      .filter(([cause]) => TRANSIENT_CAUSES.has(cause))
      .reduce((n, [, k]) => n + k, 0);
    if (transient > 0 && transient > MAX_EXHAUSTED_SHARE * runs) {
      throw new FatalRunError(
        this.endpoint,
        `retries ran out on ${transient} of ${runs} system runs of stage "${this.stage}", more than ${100 * MAX_EXHAUSTED_SHARE}%${this.firstError ? ` (first: ${this.firstError})` : ""}`,
        "check that the endpoint is up and not overloaded (or raise --retries / --timeout), then run `optimas resume <run-dir>`",
      );
    }
  }
}
