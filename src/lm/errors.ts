/**
 * Typed failures of model-endpoint calls. Providers map their transport's errors onto these, so the
 * client decides retries from the type alone: rate limits, server errors, dropped connections,
 * unreadable bodies and timeouts are transient; every other HTTP status (400, 422, …) is the
 * caller's mistake and retrying it would only repeat it. Statuses that no call of a run can get
 * past (401, 403, 404) are `FatalRunError`s that name the endpoint and the fix.
 *
 * Every error here carries a `failureCause` (core/failure.ts), so a run counts it by cause.
 */
import { FatalRunError, type CausedError, type FailureCause } from "../core/failure";

/** The endpoint answered with a non-2xx status that is not fatal (429, 5xx, 400, …). */
export class LMHttpError extends Error implements CausedError {
  readonly status: number;
  /** The wait the endpoint asked for (`retry-after-ms` or `Retry-After`), when it sent one. */
  readonly retryAfterMs: number | undefined;
  readonly failureCause: FailureCause;
  constructor(status: number, message: string, retryAfterMs?: number) {
    super(message);
    this.name = "LMHttpError";
    this.status = status;
    this.retryAfterMs = retryAfterMs;
    this.failureCause = `http-${status}`;
  }
}

/**
 * The exchange broke: connection refused or dropped, or a 2xx body that is not the JSON it claims.
 * `unreachable` marks a connection that was never made (refused, unknown host), as opposed to one
 * that broke half-way: an endpoint that has never answered and only refuses is fatal.
 */
export class LMTransportError extends Error implements CausedError {
  readonly failureCause: FailureCause = "transport";
  readonly unreachable: boolean;
  constructor(message: string, options: { unreachable?: boolean } = {}) {
    super(message);
    this.name = "LMTransportError";
    this.unreachable = options.unreachable ?? false;
  }
}

/** One attempt ran past the client's per-attempt timeout and was aborted. */
export class LMTimeoutError extends Error implements CausedError {
  readonly failureCause: FailureCause = "timeout";
  readonly timeoutMs: number;
  constructor(timeoutMs: number, endpoint = "the endpoint") {
    super(`${endpoint} did not answer within ${timeoutMs / 1000} s (the per-attempt timeout, --timeout)`);
    this.name = "LMTimeoutError";
    this.timeoutMs = timeoutMs;
  }
}

/** Every attempt of one call failed transiently: a counted failure of the run, never a score. */
export class LMRetriesExhaustedError extends Error implements CausedError {
  readonly failureCause: FailureCause = "retries-exhausted";
  /** The cause of the last attempt's failure ("timeout", "transport", "http-429", …). */
  readonly lastCause: FailureCause;
  readonly attempts: number;
  readonly lastError: Error;
  constructor(attempts: number, lastError: Error & CausedError) {
    super(`gave up after ${attempts} attempt${attempts === 1 ? "" : "s"} (last: ${lastError.failureCause}): ${lastError.message}`);
    this.name = "LMRetriesExhaustedError";
    this.attempts = attempts;
    this.lastCause = lastError.failureCause;
    this.lastError = lastError;
  }
}

/** 401, 403 or 404 from an endpoint: every further call would be refused the same way. */
export class LMEndpointRefusedError extends FatalRunError {
  readonly status: number;
  constructor(status: number, endpoint: string, reason: string, fix: string) {
    super(endpoint, reason, fix);
    this.name = "LMEndpointRefusedError";
    this.status = status;
  }
}

/**
 * The fatal error for a status no retry can fix, or undefined for any other status. `detail` is
 * the server's own message, already stripped of credentials by the caller.
 */
export function endpointRefusal(status: number, endpoint: string, model: string, detail: string): LMEndpointRefusedError | undefined {
  const said = detail ? `: ${detail}` : "";
  switch (status) {
    case 401:
      return new LMEndpointRefusedError(status, endpoint, `HTTP 401, the API key was rejected${said}`, "set OPENAI_API_KEY to a valid key for this endpoint");
    case 403:
      return new LMEndpointRefusedError(
        status,
        endpoint,
        `HTTP 403, the API key may not use model "${model}"${said}`,
        "check the key's permissions (project, organization and model access), or set OPENAI_API_KEY to a key that has them",
      );
    case 404:
      return new LMEndpointRefusedError(
        status,
        endpoint,
        `HTTP 404 for model "${model}" (unknown model, or a wrong base URL)${said}`,
        "check the model name (--model, the suite's \"model\" or the system's settings) and that OPENAI_BASE_URL is the API root, such as http://localhost:8000/v1",
      );
    default:
      return undefined;
  }
}

/** True for failures worth another attempt: 429, 5xx, transport breaks and timeouts. */
export function isRetryable(err: unknown): err is Error & CausedError {
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
