/**
 * OpenAIProvider: any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp server, or our
 * own `serve-sim`) through the official `openai` SDK.
 *
 * The SDK's own retries are off (`maxRetries: 0`): LMClient owns retries, so failures are mapped
 * to the typed errors of errors.ts instead. SimLM routing metadata travels as `x-simlm-skill`,
 * `x-simlm-example` and `x-simlm-sample` headers, which real servers ignore. The API key lives only
 * inside a private SDK instance: it is never logged, never part of the provider id, and redacted
 * from any error message that would echo it. 401, 403 and 404 become fatal errors naming the base
 * URL, the model and the fix; a connection that cannot be made at all is marked `unreachable`.
 */
import OpenAI from "openai";
import { endpointRefusal, parseRetryAfter, LMHttpError, LMTransportError } from "./errors";
import { routingHeaders } from "./routing";
import type { ChatMeta, ChatRequest, ChatResponse, LMProvider } from "../core/lm-types";

export const DEFAULT_BASE_URL = "https://api.openai.com/v1";
export const DEFAULT_EMBEDDING_MODEL = "text-embedding-3-small";

/** US dollars per million tokens. */
export interface ModelPrice {
  promptPerMTokUsd: number;
  completionPerMTokUsd: number;
}

export interface OpenAIProviderOptions {
  /** Default: OPENAI_BASE_URL, else the OpenAI API. */
  baseURL?: string;
  /** Default: OPENAI_API_KEY; not needed for a local server. */
  apiKey?: string;
  /** Where the defaults are read from (default: process.env). */
  env?: Record<string, string | undefined>;
  /** Prices used for `costUsd`; models absent here cost 0 unless the server reports a cost. */
  prices?: Record<string, ModelPrice>;
  /** Model for `embed` when the caller names none. */
  embeddingModel?: string;
}

/** What serve-sim adds to a completion so the HTTP path reports SimLM's own cost and latency. */
interface SimExtension {
  simlm?: { cost_usd?: number; latency_ms?: number };
}

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "::1", "0.0.0.0"]);

function isLocal(url: URL): boolean {
  return LOCAL_HOSTS.has(url.hostname) || url.hostname.endsWith(".localhost");
}

function parseBaseURL(raw: string): URL {
  try {
    return new URL(raw);
  } catch {
    throw new Error(`OPENAI_BASE_URL "${raw}" is not a URL; set it to an endpoint such as http://localhost:8000/v1`);
  }
}

/** The base URL without credentials or a trailing slash: safe for ids, cache keys and messages. */
function publicURL(url: URL): string {
  const clean = new URL(url.href);
  clean.username = "";
  clean.password = "";
  return clean.href.replace(/\/+$/, "");
}

export class OpenAIProvider implements LMProvider {
  readonly id: string;
  readonly baseURL: string;
  readonly abortable = true;
  // ES private fields: invisible to JSON.stringify, util.inspect and enumeration.
  readonly #sdk: OpenAI;
  readonly #apiKey: string;
  readonly #prices: Record<string, ModelPrice>;
  readonly #embeddingModel: string;

  constructor(options: OpenAIProviderOptions = {}) {
    const env = options.env ?? process.env;
    const url = parseBaseURL(options.baseURL ?? env.OPENAI_BASE_URL ?? DEFAULT_BASE_URL);
    const apiKey = options.apiKey ?? env.OPENAI_API_KEY;
    this.baseURL = publicURL(url);
    if (!apiKey && !isLocal(url)) {
      throw new Error(`OPENAI_API_KEY is not set: export OPENAI_API_KEY=<your key> to use ${this.baseURL} (a local server such as serve-sim needs none)`);
    }
    this.#apiKey = apiKey || "no-key-needed-for-a-local-server";
    this.id = `openai:${this.baseURL}`;
    this.#prices = { ...options.prices };
    this.#embeddingModel = options.embeddingModel ?? DEFAULT_EMBEDDING_MODEL;
    // The SDK timeout is only a backstop; LMClient aborts attempts through their signal.
    this.#sdk = new OpenAI({ baseURL: url.href, apiKey: this.#apiKey, maxRetries: 0, timeout: 600_000 });
  }

  async chat(request: ChatRequest, meta: ChatMeta, signal?: AbortSignal): Promise<Omit<ChatResponse, "cached">> {
    const started = performance.now();
    let completion: OpenAI.ChatCompletion & SimExtension;
    try {
      completion = await this.#sdk.chat.completions.create(
        {
          model: request.model,
          messages: request.messages,
          temperature: request.temperature,
          max_tokens: request.maxTokens,
          top_p: request.topP,
          seed: request.seed,
        },
        { headers: routingHeaders(meta, request.sampleIndex), signal },
      );
    } catch (err) {
      throw this.mapError(err, signal, request.model);
    }
    const choice = typeof completion === "object" && completion !== null ? completion.choices?.[0] : undefined;
    if (!choice) throw new LMTransportError(`${this.baseURL} returned a completion without choices`);
    const usage = {
      promptTokens: completion.usage?.prompt_tokens ?? 0,
      completionTokens: completion.usage?.completion_tokens ?? 0,
    };
    return {
      text: choice.message?.content ?? "",
      model: completion.model ?? request.model,
      usage,
      costUsd: completion.simlm?.cost_usd ?? this.priceOf(request.model, usage.promptTokens, usage.completionTokens),
      latencyMs: completion.simlm?.latency_ms ?? performance.now() - started,
    };
  }

  async embed(texts: string[], model?: string, signal?: AbortSignal): Promise<number[][]> {
    const embeddingModel = model ?? this.#embeddingModel;
    let res: OpenAI.CreateEmbeddingResponse;
    try {
      res = await this.#sdk.embeddings.create({ model: embeddingModel, input: texts }, { signal });
    } catch (err) {
      throw this.mapError(err, signal, embeddingModel);
    }
    if (!Array.isArray(res?.data)) throw new LMTransportError(`${this.baseURL} returned an embeddings response without data`);
    return [...res.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
  }

  async models(): Promise<string[]> {
    try {
      const ids: string[] = [];
      for await (const m of this.#sdk.models.list()) ids.push(m.id);
      return ids;
    } catch (err) {
      throw this.mapError(err, undefined, undefined);
    }
  }

  private priceOf(model: string, promptTokens: number, completionTokens: number): number {
    const price = this.#prices[model];
    if (!price) return 0;
    return (promptTokens * price.promptPerMTokUsd + completionTokens * price.completionPerMTokUsd) / 1e6;
  }

  /** SDK and fetch failures → the typed errors LMClient retries on (or not), or a fatal refusal. */
  private mapError(err: unknown, signal: AbortSignal | undefined, model: string | undefined): Error {
    // An abort the client caused (its timeout) surfaces as the reason it gave.
    if (signal?.aborted && signal.reason instanceof Error) return signal.reason;
    if (err instanceof OpenAI.APIConnectionError) {
      const cause = (err as { cause?: unknown }).cause;
      const code = cause instanceof Error ? causeCode(cause) : undefined;
      const detail = this.redact(cause instanceof Error ? `${cause.message}${code ? `: ${code}` : ""}` : err.message);
      return new LMTransportError(`cannot complete a request to ${this.baseURL} (${detail}); check OPENAI_BASE_URL and that the server is running`, {
        unreachable: code !== undefined && UNREACHABLE_CODES.has(code),
      });
    }
    if (err instanceof OpenAI.APIError && typeof err.status === "number") {
      const detail = this.redact(err.message).replace(new RegExp(`^${err.status}\\s*`), "");
      const fatal = endpointRefusal(err.status, this.baseURL, model ?? "(none: a models listing)", detail);
      if (fatal) return fatal;
      const headers = err.headers;
      const retryAfterMs = parseRetryAfter(headers?.get("retry-after"), headers?.get("retry-after-ms"), Date.now());
      return new LMHttpError(err.status, `${this.baseURL} answered HTTP ${err.status}: ${detail}`, retryAfterMs);
    }
    // A 2xx body that does not parse (cut short or malformed), or whose connection broke while it was read.
    if (err instanceof SyntaxError || (err instanceof TypeError && err.message === "terminated")) {
      return new LMTransportError(`${this.baseURL} sent an unreadable response body (${this.redact(err.message)}); the reply was cut short or is not JSON`);
    }
    return err instanceof Error ? err : new Error(String(err));
  }

  /** Removes the key, and anything shaped like a secret key, from text that came from the server. */
  private redact(text: string): string {
    return text.split(this.#apiKey).join("[redacted]").replace(SECRET_SHAPE, "[redacted]");
  }
}

/** Connection errors that mean no connection was made at all. */
const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/** `sk-…` keys (OpenAI and most compatible servers), so a server echoing another key cannot leak it either. */
const SECRET_SHAPE = /\bsk-[A-Za-z0-9_-]{6,}/g;

function causeCode(cause: Error): string | undefined {
  const inner = (cause as { cause?: { code?: unknown } }).cause;
  return inner && typeof inner.code === "string" ? inner.code : undefined;
}
