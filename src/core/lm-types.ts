/** The model-access contract shared by the OpenAI-SDK client, SimLM and everything above them. */
import type { Budget } from "./budget";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** Everything that determines a reply. All of it is part of the cache key. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
  topP?: number;
  /** Request seed (OpenAI `seed`); SimLM mixes it into its draw. */
  seed?: number;
  /**
   * Which sample this is among repeated draws of the same request. Distinct indices give distinct
   * cache entries (and, above temperature 0, distinct SimLM draws), so re-sampling stays real.
   */
  sampleIndex?: number;
}

/** Routing metadata: never changes what a real model sees, only accounting and SimLM routing. */
export interface ChatMeta {
  /** SimLM skill name (sent as `x-simlm-skill` over HTTP; real endpoints ignore it). */
  skill?: string;
  /** Dataset example id, which SimLM resolves to its oracle (`x-simlm-example`). */
  exampleId?: string;
  /** Component and optimizer stage, for token and cost accounting. */
  component?: string;
  stage?: string;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

export interface ChatResponse {
  text: string;
  model: string;
  usage: Usage;
  /** Cost in US dollars from the provider's price table (0 when unknown). */
  costUsd: number;
  /** Latency the provider reports (SimLM: simulated, never slept). */
  latencyMs: number;
  /** True when the reply came from the response cache. */
  cached: boolean;
}

/** A raw model endpoint: no caching, retries, budgets or accounting (the client adds those). */
export interface LMProvider {
  /** Stable id for cache keys and run records, e.g. "simlm@1/world-0" or "openai:https://api.openai.com/v1". */
  readonly id: string;
  /**
   * True when `chat` and `embed` stop their work once `signal` aborts (network providers). The
   * client creates an AbortSignal only for these: in Node one costs microseconds, as much as a
   * whole in-process SimLM call. Timeouts apply either way.
   */
  readonly abortable?: boolean;
  chat(request: ChatRequest, meta: ChatMeta, signal?: AbortSignal): Promise<Omit<ChatResponse, "cached">>;
  embed(texts: string[], model?: string, signal?: AbortSignal): Promise<number[][]>;
  /** Model names this endpoint serves (SimLM: its seven models). */
  models(): Promise<string[]>;
}

/** The interface components and optimizers use. */
export interface LM {
  readonly providerId: string;
  /** The budget this LM charges, when it charges one (LMClient); a RunContext adopts it by default. */
  readonly budget?: Budget;
  chat(request: ChatRequest, meta?: ChatMeta): Promise<ChatResponse>;
  embed(texts: string[], meta?: ChatMeta): Promise<number[][]>;
}
