/**
 * Typed failures of one model-endpoint attempt. Providers map their transport's errors onto these,
 * so the client decides retries from the type alone: rate limits, server errors, dropped
 * connections, unreadable bodies and timeouts are transient; every other HTTP status (400, 401,
 * 404, …) is the caller's mistake and retrying it would only repeat it.
 */

/** The endpoint answered with a non-2xx status. */
export class LMHttpError extends Error {
  readonly status: number;
  /** The wait the endpoint asked for (`retry-after-ms` or `Retry-After`), when it sent one. */
  readonly retryAfterMs: number | undefined;
  constructor(status: number, message: string, retryAfterMs?: number) {
    super(message);
    this.name = "LMHttpError";
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

/** The exchange broke: connection refused or dropped, or a 2xx body that is not the JSON it claims. */
export class LMTransportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LMTransportError";
  }
}

/** One attempt ran past the client's per-call timeout and was aborted. */
export class LMTimeoutError extends Error {
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(`LM call timed out after ${timeoutMs} ms`);
    this.name = "LMTimeoutError";
    this.timeoutMs = timeoutMs;
  }
}

/** True for failures worth another attempt: 429, 5xx, transport breaks and timeouts. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof LMHttpError) return err.status === 429 || err.status >= 500;
  return err instanceof LMTransportError || err instanceof LMTimeoutError;
}

/**
 * The wait an endpoint asked for, in ms: `retry-after-ms` (OpenAI's header) wins, else
 * `Retry-After` as seconds or as an HTTP date relative to `nowMs`. Undefined when absent or unreadable.
 */
export function parseRetryAfter(retryAfter: string | null | undefined, retryAfterMs: string | null | undefined, nowMs: number): number | undefined {
  if (retryAfterMs != null && retryAfterMs.trim() !== "") {
    const ms = Number(retryAfterMs);
    if (Number.isFinite(ms) && ms >= 0) return ms;
  }
  if (retryAfter == null || retryAfter.trim() === "") return undefined;
  const seconds = Number(retryAfter);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
