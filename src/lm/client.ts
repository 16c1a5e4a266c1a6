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
 * - A per-attempt timeout: the attempt fails with LMTimeoutError when it fires, and an `abortable`
 *   provider's signal is aborted so its request stops too.
 * - Accounting per model, component and stage in a Ledger.
 */
import { Semaphore } from "../core/concurrency";
import type { Json } from "../core/json";
import { Budget } from "./budget";
import { cacheKeyOf, chatKeyMaterial, embedKeyMaterial, type ResponseCache } from "./cache";
import { isRetryable, LMHttpError, LMTimeoutError } from "./errors";
import { Ledger } from "./ledger";
import type { ChatMeta, ChatRequest, ChatResponse, LM, LMProvider } from "./types";

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
  /** Model passed to the provider's embeddings endpoint (default: the provider's own default). */
  embeddingModel?: string;
  /** How backoff waits (tests inject a recorder instead of real time). */
  sleep?: (ms: number) => Promise<void>;
}

type Reply = Omit<ChatResponse, "cached">;

const DEFAULT_CONCURRENCY = 16;

/** One limiter per provider id, shared by every client of that endpoint in this process. */
const endpointLimiters = new Map<string, { slots: number; semaphore: Semaphore }>();

function endpointLimiter(providerId: string, slots: number | undefined): Semaphore {
  const known = endpointLimiters.get(providerId);
  if (known) {
    if (slots !== undefined && slots !== known.slots) {
      throw new Error(
        `endpoint "${providerId}" already has a concurrency limit of ${known.slots}; give every LMClient of one endpoint the same concurrency (got ${slots}) or omit it`,
      );
    }
    return known.semaphore;
  }
  const limit = slots ?? DEFAULT_CONCURRENCY;
  const semaphore = new Semaphore(limit);
  endpointLimiters.set(providerId, { slots: limit, semaphore });
  return semaphore;
}

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
  private readonly limiter: Semaphore;
  private readonly retries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly timeoutMs: number;
  private readonly embeddingModel: string | undefined;
  private readonly sleep: (ms: number) => Promise<void>;
  private callSeq = 0;

  constructor(options: LMClientOptions) {
    const retries = options.retries ?? 5;
    if (!(Number.isInteger(retries) && retries >= 0)) throw new Error(`LMClient retries must be a non-negative integer (got ${retries})`);
    const timeoutMs = options.timeoutMs ?? 120_000;
    if (!(timeoutMs >= 0)) throw new Error(`LMClient timeoutMs must be >= 0 (got ${timeoutMs}); use 0 to disable the timeout`);
    this.provider = options.provider;
    this.budget = options.budget ?? new Budget();
    this.ledger = options.ledger ?? new Ledger();
    this.cache = options.cache?.enabled ? options.cache : undefined;
    this.limiter = endpointLimiter(options.provider.id, options.concurrency);
    this.retries = retries;
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
    this.timeoutMs = timeoutMs;
    this.embeddingModel = options.embeddingModel;
    this.sleep = options.sleep ?? realSleep;
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
    const hit = await this.cache.get(key);
    if (hit !== undefined) return { value: hit, cached: true };
    const value = await fetch();
    await this.cache.put(key, keyMaterial, value);
    return { value, cached: false };
  }

  /** Runs attempts (each inside the endpoint limiter) until one succeeds or the failure is final. */
  private async withRetries<T>(call: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
    const seq = ++this.callSeq;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.limiter.run(() => this.attempt(call));
      } catch (err) {
        if (attempt >= this.retries || !isRetryable(err)) throw err;
        await this.sleep(this.backoffMs(err, seq, attempt));
      }
    }
  }

  private backoffMs(err: unknown, seq: number, attempt: number): number {
    if (err instanceof LMHttpError && err.retryAfterMs !== undefined) return err.retryAfterMs;
    const exponential = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** attempt);
    // Jitter in [50%, 100%) spreads clients that failed together without any shared randomness.
    return exponential * (0.5 + 0.5 * hash01(`${this.provider.id}#${seq}#${attempt}`));
  }

  /** One attempt under the timeout; the provider's signal is aborted when it fires. */
  private attempt<T>(call: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
    if (this.timeoutMs === 0) return call(undefined);
    const controller = this.provider.abortable ? new AbortController() : undefined;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const err = new LMTimeoutError(this.timeoutMs);
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
