/**
 * The LM client's bounded waits and cache mode as a user sets them: `--timeout`, `--retries`,
 * `--max-retry-after` and `--cache` on eval, optimize, resume and reproduce, and the keys
 * `timeout`, `retries`, `maxRetryAfter` and `cache` in suite files. One validation for both, one
 * resolution to the values a run records in config.json and result.json. None of them is part of a
 * run's identity: resuming with a longer timeout continues the same run.
 */
import { CACHE_MODES, type CacheMode } from "../lm/cache";
import { DEFAULT_MAX_RETRY_AFTER_MS, DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS, type LMClientOptions } from "../lm/client";
import type { BackendKind } from "../systems/settings";

export interface LMSettings {
  /** Seconds one attempt may take before it is aborted and retried (default 120). */
  timeout?: number;
  /** Extra attempts after a transient failure (default 5). */
  retries?: number;
  /** The longest Retry-After, in seconds, the client obeys; a longer one stops the run (default 60). */
  maxRetryAfter?: number;
  /** Response cache (default: off for SimLM, read-write for real endpoints). */
  cache?: CacheMode;
}

export type ResolvedLMSettings = Required<LMSettings>;

export const LM_SETTING_NAMES = ["timeout", "retries", "maxRetryAfter", "cache"] as const satisfies readonly (keyof LMSettings)[];

/** What is wrong with a value for one setting, or undefined when it is valid. */
export function lmSettingProblem(name: keyof LMSettings, value: unknown): string | undefined {
  switch (name) {
    case "timeout":
      return typeof value === "number" && Number.isFinite(value) && value > 0 ? undefined : "must be a number of seconds > 0";
    case "retries":
      return Number.isInteger(value) && (value as number) >= 0 ? undefined : "must be an integer ≥ 0";
    case "maxRetryAfter":
      return typeof value === "number" && Number.isFinite(value) && value >= 0 ? undefined : "must be a number of seconds ≥ 0";
    case "cache":
      return (CACHE_MODES as readonly unknown[]).includes(value) ? undefined : `must be one of ${CACHE_MODES.join(", ")}`;
  }
}

/** Only the LM settings of an object with other fields too (parsed options, a suite), none undefined. */
export function pickLMSettings(from: LMSettings): LMSettings {
  const picked: Record<string, unknown> = {};
  for (const name of LM_SETTING_NAMES) if (from[name] !== undefined) picked[name] = from[name];
  return picked as LMSettings;
}

export function resolveLMSettings(backend: BackendKind, given: LMSettings = {}): ResolvedLMSettings {
  return {
    timeout: given.timeout ?? DEFAULT_TIMEOUT_MS / 1000,
    retries: given.retries ?? DEFAULT_RETRIES,
    maxRetryAfter: given.maxRetryAfter ?? DEFAULT_MAX_RETRY_AFTER_MS / 1000,
    // SimLM is deterministic and in process: a disk cache would only add I/O. Real endpoints cache by default.
    cache: given.cache ?? (backend === "simlm" ? "off" : "read-write"),
  };
}

/** The client options these settings stand for. */
export function lmClientTiming(settings: ResolvedLMSettings): Pick<LMClientOptions, "timeoutMs" | "retries" | "maxRetryAfterMs"> {
  return { timeoutMs: settings.timeout * 1000, retries: settings.retries, maxRetryAfterMs: settings.maxRetryAfter * 1000 };
}
