/**
 * LMClient: the `LM` that components and optimizers call, wrapping a raw `LMProvider` with
 * everything model access needs besides the model itself.
 *
 * - Budget. The client is constructed with the run's `Budget` and is the only place LM calls are
 *   charged. Build the client first and hand it to the run context — `new RunContext({ lm: client,
 *   seed })` adopts `client.budget` (passing a different budget there is an error). Every logical
 *   call reserves one `llmCalls` unit before anything else, cache hits included, and charges the
 *   reply's tokens and cost afterwards, so a run spends exactly the same budget whether the cache
 *   is cold or warm. Retries are not logical calls and reserve nothing. Embeddings do not count
 *   against `llmCalls` (they are featurizer work, not model calls); the ledger counts them.
 * - Cache (optional): record/replay of replies by content key (see cache.ts).
 * - Concurrency: at most `concurrency` attempts in flight per endpoint, with one limiter shared by
 *   every client of the same provider id, so two clients cannot double the load on one server.
 * - Retries with exponential backoff, on 429, 5xx, dropped connections, unreadable bodies and
 *   timeouts only (see errors.ts); a `Retry-After` the endpoint sent replaces the computed delay.
 *   Backoff jitter is a hash of (provider, call number, attempt), never the global random generator.
 *   When the last attempt fails too, the call throws LMRetriesExhaustedError (a counted failure).
 * - Bounded waits. A `Retry-After` above `maxRetryAfterMs` is not obeyed: it is a FatalRunError.
 *   A server asking for minutes or hours has usually exhausted a quota, so capping the wait would
 *   only spend every retry of every call on more refusals and end in counted failures; stopping at
 *   once, resumably, with the wait it asked for, lets the user come back later or raise the limit.
 * - Unreachable endpoints. When every attempt of a call was refused (no connection made) and the
 *   endpoint has not answered once in this process, it is a FatalRunError after that call's
 *   retries, instead of every run of a stage waiting out its own retries.
 * - A per-attempt timeout: the attempt fails with LMTimeoutError when it fires, and an `abortable`
 *   provider's signal is aborted so its request stops too.
 * - Visibility: each retry and corrupt cache entry is counted in the Ledger and reported to the
 *   `onEvent` hook (see events.ts) before the client waits.
 * - Accounting per model, component and stage in a Ledger.
 */
import { Semaphore } from "../core/concurrency";
import type { Json } from "../core/json";
import { FatalRunError } from "../core/failure";
import { Budget } from "../core/budget";
import { cacheKeyOf, chatKeyMaterial, embedKeyMaterial, type ResponseCache } from "./cache";
import { isRetryable, LMHttpError, LMRetriesExhaustedError, LMTimeoutError, LMTransportError } from "./errors";
import type { LMClientEvent } from "./events";
import { Ledger } from "./ledger";
import type { ChatMeta, ChatRequest, ChatResponse, LM, LMProvider } from "../core/lm-types";

export interface LMClientOptions {
  provider: LMProvider;
  /** The run's budget (default: an uncapped one). */
  budget?: Budget;
  /** Response cache; omitted or mode "off" means every call reaches the provider. */
  cache?: ResponseCache;
  ledger?: Ledger;
  /** Attempts in flight for this endpoint (default: the endpoint's existing limit, else 16). */
  concurrency?: number;
  /** Extra attempts after the first one fails transiently (default 5). */
  retries?: number;
  /** First backoff delay; it doubles per attempt up to `maxDelayMs` (defaults 500 and 30,000). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Per-attempt timeout in ms (default 120,000; 0 disables it). */
  timeoutMs?: number;
  /** The longest `Retry-After` obeyed, in ms (default 60,000); a longer one is a FatalRunError. */
  maxRetryAfterMs?: number;
  /** Hears of each retry before its wait and of each corrupt cache entry (progress displays). */
  onEvent?: (event: LMClientEvent) => void;
  /** Model passed to the provider's embeddings endpoint (default: the provider's own default). */
  embeddingModel?: string;
  /** How backoff waits (tests inject a recorder instead of real time). */
  sleep?: (ms: number) => Promise<void>;
}

type Reply = Omit<ChatResponse, "cached">;

const DEFAULT_CONCURRENCY = 16;
export const DEFAULT_TIMEOUT_MS = 120_000;
export const DEFAULT_RETRIES = 5;
export const DEFAULT_MAX_RETRY_AFTER_MS = 60_000;

/** What every client of one endpoint in this process shares: its limiter and whether it ever answered. */
interface EndpointState {
  slots: number;
  semaphore: Semaphore;
  answered: boolean;
}

/** One state per provider id, shared by every client of that endpoint in this process. */
const endpoints = new Map<string, EndpointState>();

function endpointState(providerId: string, slots: number | undefined): EndpointState {
  const known = endpoints.get(providerId);
  if (known) {
    if (slots !== undefined && slots !== known.slots) {
      throw new Error(
        `endpoint "${providerId}" already has a concurrency limit of ${known.slots}; give every LMClient of one endpoint the same concurrency (got ${slots}) or omit it`,
      );
    }
    return known;
  }
  const limit = slots ?? DEFAULT_CONCURRENCY;
  const state = { slots: limit, semaphore: new Semaphore(limit), answered: false };
  endpoints.set(providerId, state);
  return state;
}

const nonNegative = (name: string, value: number, hint = ""): number => {
  if (!(Number.isFinite(value) && value >= 0)) throw new Error(`LMClient ${name} must be a number >= 0 (got ${value})${hint}`);
  return value;
};

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** FNV-1a of a string, scaled to [0, 1): deterministic jitter. */
function hash01(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) / 0x100000000;
}

// Only the contract's fields are kept, so a fresh reply and a replayed one are indistinguishable.
const replyFields = (r: Reply): Reply => ({
  text: r.text,
  model: r.model,
  usage: { promptTokens: r.usage.promptTokens, completionTokens: r.usage.completionTokens },
  costUsd: r.costUsd,
  latencyMs: r.latencyMs,
});

export class LMClient implements LM {
  readonly provider: LMProvider;
  readonly budget: Budget;
  readonly ledger: Ledger;
  readonly cache: ResponseCache | undefined;
  private readonly endpoint: EndpointState;
  private readonly retries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly timeoutMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly embeddingModel: string | undefined;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly onEvent: (event: LMClientEvent) => void;
  private callSeq = 0;

  constructor(options: LMClientOptions) {
    const retries = options.retries ?? DEFAULT_RETRIES;
    if (!(Number.isInteger(retries) && retries >= 0)) throw new Error(`LMClient retries must be a non-negative integer (got ${retries})`);
    this.timeoutMs = nonNegative("timeoutMs", options.timeoutMs ?? DEFAULT_TIMEOUT_MS, "; use 0 to disable the timeout");
    this.maxRetryAfterMs = nonNegative("maxRetryAfterMs", options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS);
    this.provider = options.provider;
    this.budget = options.budget ?? new Budget();
    this.ledger = options.ledger ?? new Ledger();
    this.cache = options.cache?.enabled ? options.cache : undefined;
    this.endpoint = endpointState(options.provider.id, options.concurrency);
    this.retries = retries;
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
    this.embeddingModel = options.embeddingModel;
    this.sleep = options.sleep ?? realSleep;
    this.onEvent = options.onEvent ?? (() => undefined);
  }

  get providerId(): string {
    return this.provider.id;
  }

  async chat(request: ChatRequest, meta: ChatMeta = {}): Promise<ChatResponse> {
    this.budget.reserve("llmCalls");
    const { value, cached } = await this.recordOrReplay(
      () => chatKeyMaterial(this.provider.id, request),
      async () => replyFields(await this.withRetries((signal) => this.provider.chat(request, meta, signal))) as unknown as Json,
    );
    const reply = replyFields(value as unknown as Reply);
    this.ledger.record({ model: request.model, component: meta.component, stage: meta.stage, usage: reply.usage, costUsd: reply.costUsd, cached });
    this.budget.charge(reply.usage.promptTokens + reply.usage.completionTokens, reply.costUsd);
    return { ...reply, cached };
  }

  async embed(texts: string[]): Promise<number[][]> {
    const { value, cached } = await this.recordOrReplay(
      () => embedKeyMaterial(this.provider.id, this.embeddingModel, texts),
      () => this.withRetries((signal) => this.provider.embed(texts, this.embeddingModel, signal)),
    );
    this.ledger.recordEmbedding(texts.length, cached);
    return (value as number[][]).map((v) => [...v]);
  }

  /**
   * The recorded value for the key material, or a fresh one from `fetch`, recorded for next time.
   * Callers copy what they return, so the cache's copy can never be mutated from outside.
   */
  private async recordOrReplay(material: () => Json, fetch: () => Promise<Json>): Promise<{ value: Json; cached: boolean }> {
    if (!this.cache) return { value: await fetch(), cached: false };
    const keyMaterial = material();
    const key = cacheKeyOf(keyMaterial);
    const refetch = this.cache.mode === "read-write";
    const hit = await this.cache.get(key, (file) => {
      this.ledger.recordCacheCorruption();
      this.onEvent({ kind: "cache-corrupt", file, refetch });
    });
    if (hit !== undefined) return { value: hit, cached: true };
    const value = await fetch();
    await this.cache.put(key, keyMaterial, value);
    return { value, cached: false };
  }

  /**
   * Runs attempts (each inside the endpoint limiter) until one succeeds or the failure is final:
   * not retryable, a Retry-After above the maximum, an unreachable endpoint, or the last attempt.
   */
  private async withRetries<T>(call: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
    const seq = ++this.callSeq;
    const attempts = this.retries + 1;
    const started = performance.now();
    for (let attempt = 1; ; attempt++) {
      let failure: unknown;
      try {
        const value = await this.endpoint.semaphore.run(() => this.attempt(call));
        this.endpoint.answered = true;
        return value;
      } catch (err) {
        failure = err;
      }
      if (!isRetryable(failure)) throw failure;
      const waitMs = this.backoffMs(failure, seq, attempt);
      if (attempt >= attempts) {
        if (failure instanceof LMTransportError && failure.unreachable && !this.endpoint.answered) {
          throw new FatalRunError(
            this.provider.id,
            `unreachable: ${attempts} attempt(s) found no server and it has not answered once in this run (${failure.message})`,
            "start the server, or point OPENAI_BASE_URL at one that is running, then resume",
          );
        }
        this.ledger.recordRetriesExhausted();
        throw new LMRetriesExhaustedError(attempts, failure);
      }
      this.ledger.recordRetry(failure.failureCause, waitMs);
      this.onEvent({ kind: "retry", endpoint: this.provider.id, cause: failure.failureCause, attempt, attempts, waitMs, elapsedMs: performance.now() - started });
      await this.sleep(waitMs);
    }
  }

  /** The wait before the next attempt; a Retry-After longer than the maximum stops the run. */
  private backoffMs(err: unknown, seq: number, attempt: number): number {
    if (err instanceof LMHttpError && err.retryAfterMs !== undefined) {
      if (err.retryAfterMs > this.maxRetryAfterMs) {
        throw new FatalRunError(
          this.provider.id,
          `HTTP ${err.status} asked to wait ${(err.retryAfterMs / 1000).toFixed(0)} s before retrying, more than the maximum of ${this.maxRetryAfterMs / 1000} s (a wait this long usually means an exhausted quota or rate limit)`,
          "wait, then resume (or rerun the same command); or raise the maximum with --max-retry-after (suite files: maxRetryAfter)",
        );
      }
      return err.retryAfterMs;
    }
    const exponential = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
    // Jitter in [50%, 100%) spreads clients that failed together without any shared randomness.
    return exponential * (0.5 + 0.5 * hash01(`${this.provider.id}#${seq}#${attempt - 1}`));
  }

  /** One attempt under the timeout; the provider's signal is aborted when it fires. */
  private attempt<T>(call: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
    if (this.timeoutMs === 0) return call(undefined);
    const controller = this.provider.abortable ? new AbortController() : undefined;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const err = new LMTimeoutError(this.timeoutMs, this.provider.id);
        controller?.abort(err);
        reject(err);
      }, this.timeoutMs);
      const settle = (): void => clearTimeout(timer);
      try {
        call(controller?.signal).then(
          (value) => (settle(), resolve(value)),
          (err: unknown) => (settle(), reject(err)),
        );
      } catch (err) {
        settle();
        reject(err);
      }
    });
  }
}
