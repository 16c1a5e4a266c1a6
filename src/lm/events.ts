/**
 * What an LMClient tells its user while it works: a retry about to wait, a corrupt cache entry.
 * `describeLMEvent` is the one wording of each; `WaitNotices` turns a stream of events into
 * stderr-style lines a person can follow without a terminal, rate-limited so a flaky endpoint under
 * 16 concurrent calls prints a line every few seconds, not hundreds.
 */
import type { FailureCause } from "../core/failure";
import type { RetryCounts } from "./ledger";

export type LMClientEvent =
  | {
      kind: "retry";
      /** The provider id (names the endpoint). */
      endpoint: string;
      cause: FailureCause;
      /** The attempt that failed (1-based) and the most there will be. */
      attempt: number;
      attempts: number;
      waitMs: number;
      /** Time the call has spent so far (its failed attempts and earlier waits), for display only. */
      elapsedMs: number;
    }
  | { kind: "cache-corrupt"; file: string; refetch: boolean };

/** "http-429" reads as "429"; other causes as themselves. */
const causeLabel = (cause: FailureCause): string => cause.replace(/^http-/, "");

export function describeLMEvent(e: LMClientEvent): string {
  if (e.kind === "cache-corrupt") {
    return `corrupt response-cache entry ${e.file}${e.refetch ? ": fetching the reply again and rewriting it" : ""}`;
  }
  return `retrying (${causeLabel(e.cause)}) in ${(e.waitMs / 1000).toFixed(1)} s, after attempt ${e.attempt} of ${e.attempts} (${(e.elapsedMs / 1000).toFixed(1)} s so far) on ${e.endpoint}`;
}

/** "3 retries (429 ×2, timeout ×1), 4.1 s waited, 1 call out of retries", or undefined when nothing was retried. */
export function describeRetryCounts(r: RetryCounts): string | undefined {
  if (r.count === 0 && r.exhausted === 0) return undefined;
  const causes = Object.entries(r.byCause)
    .map(([cause, n]) => `${causeLabel(cause)} ×${n}`)
    .join(", ");
  const exhausted = r.exhausted > 0 ? `, ${r.exhausted} call${r.exhausted === 1 ? "" : "s"} out of retries` : "";
  return `${r.count} retr${r.count === 1 ? "y" : "ies"}${causes ? ` (${causes})` : ""}, ${(r.waitMs / 1000).toFixed(1)} s waited${exhausted}`;
}

/**
 * A call stalled for less than this (its failed attempts plus the coming wait) is only counted: it
 * passes before anyone could read about it. A hung endpoint stalls through timeouts, not waits.
 */
export const NOTICE_MIN_STALL_MS = 1_000;
/** At most one retry line per this interval; the next line says how many retries it stood for. */
export const NOTICE_INTERVAL_MS = 5_000;

export class WaitNotices {
  private lastLineAt = Number.NEGATIVE_INFINITY;
  private unreported = 0;

  constructor(
    private readonly write: (line: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  handle(e: LMClientEvent): void {
    if (e.kind === "cache-corrupt") return this.write(describeLMEvent(e));
    const at = this.now();
    if (e.elapsedMs + e.waitMs < NOTICE_MIN_STALL_MS || at - this.lastLineAt < NOTICE_INTERVAL_MS) {
      this.unreported++;
      return;
    }
    const others = this.unreported > 0 ? ` (${this.unreported} other retr${this.unreported === 1 ? "y" : "ies"} since the last notice)` : "";
    this.write(`${describeLMEvent(e)}${others}`);
    this.lastLineAt = at;
    this.unreported = 0;
  }
}
