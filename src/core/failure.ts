/**
 * The project's one vocabulary for things that go wrong during a run, so that a failure is never
 * a score: only a model's own wrong or unparsable answer scores 0.
 *
 * - `FatalRunError`: every further call would fail the same way (401/403/404, a read-only cache
 *   miss, an unreachable retriever or tool endpoint, retries exhausted on too many of a stage's
 *   runs). It stops the run in a resumable state and the CLI prints its one line and exits with
 *   `EXIT.fatal`.
 * - A counted failure: one system run that threw for a cause outside the model's answer (retries
 *   ran out, a tool crashed). It is recorded in `FailureCounts` by cause and makes the stage's
 *   score "not clean"; it never enters a mean as a silent 0.
 * - A parse failure: the model's reply could not be read. A legitimate 0, counted on its own.
 */

/** Why one system run failed. Causes are open-ended strings so modules can add their own. */
export type FailureCause = "retries-exhausted" | "timeout" | "transport" | "tool" | "cache" | "metric" | "error" | (string & {});

/** An error that carries its own cause; anything else is counted as "error". */
export interface CausedError extends Error {
  failureCause: FailureCause;
}

export function failureCauseOf(err: unknown): FailureCause {
  const cause = (err as Partial<CausedError> | null)?.failureCause;
  return typeof cause === "string" ? cause : "error";
}

/** Stops the run: `endpoint` is what failed (a URL, a file, a model id), `cause` what happened, `fix` what the user does. */
export class FatalRunError extends Error {
  readonly endpoint: string;
  readonly reason: string;
  readonly fix: string;
  constructor(endpoint: string, reason: string, fix: string) {
    super(`${endpoint}: ${reason}; ${fix}`);
    this.name = "FatalRunError";
    this.endpoint = endpoint;
    this.reason = reason;
    this.fix = fix;
  }
}

/**
 * Bad input the user fixes before anything is spent: an argument, an option, a suite file, a
 * dataset, a directory another process is writing. The CLI prints its one line and exits with
 * `EXIT.usage`. Its name stays "Error": it reads like any error and is told apart by class.
 */
export class UsageError extends Error {}

/** The user stopped the command (Ctrl-C, SIGTERM); what finished is kept. Exits with `EXIT.interrupted`. */
export class InterruptedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InterruptedError";
  }
}

/** Documented exit codes of every command (README "Exit codes"). */
export const EXIT = {
  ok: 0,
  /** A bug: an unexpected exception. */
  internal: 1,
  /** A bad argument, option, suite file or dataset: nothing was spent. */
  usage: 2,
  /** A fatal endpoint, cache, tool or data failure stopped the run; `optimas resume` continues it once fixed. */
  fatal: 3,
  /** A budget cap stopped the run; raise the cap and `optimas resume` continues it. */
  budget: 4,
  /** Stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells report it); rerun or `optimas resume` continues. */
  interrupted: 130,
} as const;

/**
 * More than this share of a stage's runs failing with exhausted retries makes the stage fatal:
 * the endpoint is down or overloaded, and the remaining numbers would be noise.
 */
export const MAX_EXHAUSTED_SHARE = 0.05;

export interface FailureCountsJson {
  /** System runs attempted in the stage. */
  runs: number;
  /** Failed runs by cause (never scored). */
  failed: Record<string, number>;
  /** Runs whose model reply could not be parsed (scored 0, as the paper's metrics do). */
  parseFailures: number;
  /** Runs re-run after a transient failure (same sample indices, charged once); absent in older records. */
  reruns?: number;
}

/** Counts of one stage (baseline, collection, validation, test), by cause. */
export class FailureCounts {
  runs = 0;
  readonly failed: Record<string, number> = {};
  parseFailures = 0;
  reruns = 0;

  static fromJSON(json: FailureCountsJson | undefined): FailureCounts {
    const counts = new FailureCounts();
    if (json) counts.merge(json);
    return counts;
  }

  recordRun(): void {
    this.runs++;
  }

  recordFailure(cause: FailureCause): void {
    this.failed[cause] = (this.failed[cause] ?? 0) + 1;
  }

  recordParseFailure(): void {
    this.parseFailures++;
  }

  recordRerun(): void {
    this.reruns++;
  }

  get failedTotal(): number {
    return Object.values(this.failed).reduce((a, b) => a + b, 0);
  }

  /** A score over these runs is clean when no run failed for a cause other than the model's answer. */
  get clean(): boolean {
    return this.failedTotal === 0;
  }

  merge(other: FailureCountsJson): this {
    this.runs += other.runs;
    this.parseFailures += other.parseFailures;
    this.reruns += other.reruns ?? 0;
    for (const [cause, n] of Object.entries(other.failed)) this.failed[cause] = (this.failed[cause] ?? 0) + n;
    return this;
  }

  /** "2 failed (retries-exhausted 2), 1 unparsed of 60 runs", for logs and summaries. */
  describe(): string {
    const causes = Object.entries(this.failed)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([c, n]) => `${c} ${n}`)
      .join(", ");
    return `${this.failedTotal} failed${causes ? ` (${causes})` : ""}, ${this.parseFailures} unparsed of ${this.runs} runs`;
  }

  toJSON(): FailureCountsJson {
    return { runs: this.runs, failed: { ...this.failed }, parseFailures: this.parseFailures, reruns: this.reruns };
  }
}
