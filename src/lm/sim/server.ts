/**
 * serve-sim: any LMProvider (SimLM in practice) behind the OpenAI HTTP API, so the same code path
 * that talks to OpenAI, vLLM or Ollama can be exercised offline.
 *
 * Endpoints: `POST /v1/chat/completions` (with `n > 1`: sample i uses sample index base + i),
 * `POST /v1/embeddings` (float or base64 encoding), `GET /v1/models` and `GET /v1/models/{model}`. SimLM routing metadata is
 * read from the `x-simlm-skill`, `x-simlm-example` and `x-simlm-sample` headers and handed to the
 * provider exactly as the in-process path would, so both paths compute identical outputs. Each
 * completion carries a `simlm` extension with the provider's cost and simulated latency.
 *
 * `stream: true` is answered with server-sent events as OpenAI streams: `chat.completion.chunk`
 * objects (the role, the content in word-sized deltas, then the finish reason), a last chunk with
 * usage when `stream_options.include_usage` is set, then `data: [DONE]`.
 *
 * Strict mode (`aliases`, e.g. `{ "gpt-4o-mini": "sim-m" }`) serves only the alias names, as a real
 * multi-model endpoint does: `/v1/models` lists them, replies report the alias, and any other name
 * gets 404 `model_not_found`. The alias is resolved before the provider sees the request, so a
 * reply is exactly the aliased model's (SimLM keys its draws on the model name).
 *
 * Fault injection (`faultRate` R): each model call (chat or embeddings) fails with probability R,
 * drawn from a stream seeded by `seed`, as one of: 429 with Retry-After, 500, 503, a dropped
 * connection, or a 200 whose body is cut short. Independently, with `slowRate` a call is answered
 * only after `slowMs`, and with `hangRate` it is never answered (until the client gives up or the
 * server closes). Each kind draws from its own stream seeded by `seed`, so the sequence is fixed
 * by the seed and the rates; which request receives which draw follows arrival order.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { UsageError } from "../../core/failure";
import { encodeFloat32Base64 } from "../../core/float32-base64";
import { createRng, type Rng } from "../../core/random";
import { EXAMPLE_HEADER, SAMPLE_HEADER, SKILL_HEADER } from "../routing";
import type { ChatMessage, ChatMeta, ChatRequest, LMProvider } from "../../core/lm-types";

export interface SimServerOptions {
  provider: LMProvider;
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Probability in [0, 1] that a model call is answered with a fault. */
  faultRate?: number;
  /** Seed of the fault sequence. */
  seed?: number;
  /** The wait a 429 fault asks for (`retry-after-ms`; `Retry-After` carries it rounded up to seconds). */
  faultRetryAfterMs?: number;
  /** Probability in [0, 1] that a model call is answered only after `slowMs`. */
  slowRate?: number;
  /** The delay of a slow answer in ms (default 2,000). */
  slowMs?: number;
  /** Probability in [0, 1] that a model call is never answered. */
  hangRate?: number;
  /** Strict mode: the model names served, each mapped to a model of the provider; no other name is served. */
  aliases?: Readonly<Record<string, string>>;
}

export const FAULT_KINDS = ["rate-limit", "server-error", "unavailable", "drop", "truncated"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
/** Calls answered late or never, drawn apart from the faults. */
export const DELAY_KINDS = ["slow", "hang"] as const;
export type DelayKind = (typeof DELAY_KINDS)[number];

export interface SimServer {
  /** Base URL for an OpenAI client, ending in `/v1`. */
  url: string;
  port: number;
  /** Faults and delays injected so far, by kind. */
  faults(): Record<FaultKind | DelayKind, number>;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 32 * 1024 * 1024;
const MAX_N = 128;
const ROLES = new Set(["system", "user", "assistant"]);

/** A client mistake, answered with an OpenAI-style error object. */
class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

function errorBody(message: string, type: string, code: string | null, param: string | null): string {
  return JSON.stringify({ error: { message, type, param, code } });
}

function send(res: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(new RequestError(413, `request body exceeds ${MAX_BODY_BYTES} bytes`));
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function parseJsonObject(text: string): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new RequestError(400, `request body is not valid JSON (${(err as Error).message})`, "invalid_json");
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new RequestError(400, "request body must be a JSON object", "invalid_json");
  return body as Record<string, unknown>;
}

/** A URI-encoded value decoded; one that does not decode was sent unencoded (a hand-written client) and stays as sent. */
function decoded(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const raw = req.headers[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value === undefined ? undefined : decoded(value);
}

function optionalNumber(body: Record<string, unknown>, field: string): number | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v)) throw new RequestError(400, `"${field}" must be a number`, "invalid_value", field);
  return v;
}

/** OpenAI message content: a string, or an array of parts whose text parts are joined. */
function messageText(content: unknown, index: number): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content.map((part: { type?: unknown; text?: unknown }) => (part && part.type === "text" && typeof part.text === "string" ? part.text : "")).join("");
  }
  throw new RequestError(400, `messages[${index}].content must be a string or an array of text parts`, "invalid_value", "messages");
}

function parseMessages(raw: unknown): ChatMessage[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new RequestError(400, `"messages" must be a non-empty array`, "invalid_value", "messages");
  return raw.map((m: { role?: unknown; content?: unknown }, i) => {
    const role = m?.role === "developer" ? "system" : m?.role;
    if (typeof role !== "string" || !ROLES.has(role)) {
      throw new RequestError(400, `messages[${i}].role must be one of system, user, assistant`, "invalid_value", "messages");
    }
    return { role: role as ChatMessage["role"], content: messageText(m.content, i) };
  });
}

/** The sample index header: absent stays absent, exactly as the in-process call would see it. */
function sampleBase(req: http.IncomingMessage): number | undefined {
  const raw = header(req, SAMPLE_HEADER);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new RequestError(400, `${SAMPLE_HEADER} must be a non-negative integer (got "${raw}")`, "invalid_value");
  return n;
}

const approxTokens = (text: string): number => Math.ceil(text.length / 4);

function checkRate(name: string, rate: number): number {
  if (!(rate >= 0 && rate <= 1)) throw new Error(`serve-sim ${name} must be within [0, 1] (got ${rate})`);
  return rate;
}

/** A completion as OpenAI returns it (with serve-sim's `simlm` extension), before it is sent as JSON or as a stream. */
interface Completion {
  id: string;
  created: number;
  model: string;
  system_fingerprint: string;
  choices: { index: number; message: { role: "assistant"; content: string; refusal: null }; logprobs: null; finish_reason: "stop" | "length" }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  simlm: { cost_usd: number; latency_ms: number };
}

/** Word-sized pieces whose concatenation is the text, as a model streams tokens. */
function contentDeltas(text: string): string[] {
  return text.match(/\s*\S+|\s+$/g) ?? [];
}

/** The server-sent events of a streamed completion, ending in `data: [DONE]`. */
function sseEvents(c: Completion, includeUsage: boolean): string {
  const { id, created, model, system_fingerprint } = c;
  const chunk = (choices: unknown[]): Record<string, unknown> => ({ id, object: "chat.completion.chunk", created, model, system_fingerprint, choices, ...(includeUsage ? { usage: null } : {}) });
  const delta = (index: number, d: Record<string, unknown>, finish: string | null = null) => ({ index, delta: d, logprobs: null, finish_reason: finish });
  const chunks: Record<string, unknown>[] = [];
  for (const choice of c.choices) {
    chunks.push(chunk([delta(choice.index, { role: "assistant", content: "", refusal: null })]));
    for (const piece of contentDeltas(choice.message.content)) chunks.push(chunk([delta(choice.index, { content: piece })]));
    chunks.push(chunk([delta(choice.index, {}, choice.finish_reason)]));
  }
  if (includeUsage) chunks.push({ ...chunk([]), usage: c.usage });
  // The cost and latency extension rides on the last chunk, where usage arrives.
  Object.assign(chunks[chunks.length - 1]!, { simlm: c.simlm });
  return [...chunks.map((x) => JSON.stringify(x)), "[DONE]"].map((data) => `data: ${data}\n\n`).join("");
}

export async function serveSim(options: SimServerOptions): Promise<SimServer> {
  const { provider } = options;
  const seed = options.seed ?? 0;
  const faultRate = checkRate("faultRate", options.faultRate ?? 0);
  const slowRate = checkRate("slowRate", options.slowRate ?? 0);
  const hangRate = checkRate("hangRate", options.hangRate ?? 0);
  const slowMs = options.slowMs ?? 2_000;
  if (!(Number.isFinite(slowMs) && slowMs >= 0)) throw new Error(`serve-sim slowMs must be a number of ms ≥ 0 (got ${slowMs})`);
  const retryAfterMs = options.faultRetryAfterMs ?? 10;
  const faultRng: Rng = createRng(`serve-sim/faults/${seed}`);
  const delayRngs: Record<DelayKind, Rng> = { slow: createRng(`serve-sim/slow/${seed}`), hang: createRng(`serve-sim/hang/${seed}`) };
  const counts = Object.fromEntries([...FAULT_KINDS, ...DELAY_KINDS].map((k) => [k, 0])) as Record<FaultKind | DelayKind, number>;
  const providerModels = await provider.models();
  // Served name → provider model: the aliases in strict mode, else every provider model as itself.
  const served = new Map(options.aliases ? Object.entries(options.aliases) : providerModels.map((m) => [m, m]));
  for (const [alias, target] of served) {
    if (alias === "") throw new UsageError(`serve-sim: an alias name is empty; name each alias`);
    if (!providerModels.includes(target)) throw new UsageError(`serve-sim: alias "${alias}" names "${target}", which ${provider.id} does not serve (models: ${providerModels.join(", ")})`);
  }
  if (served.size === 0) throw new UsageError(`serve-sim: strict mode needs at least one alias`);
  const servedNames = [...served.keys()];
  const created = Math.floor(Date.now() / 1000);
  const pendingTimers = new Set<NodeJS.Timeout>();
  let completionSeq = 0;

  const drawFault = (): FaultKind | undefined => {
    if (faultRate === 0 || faultRng() >= faultRate) return undefined;
    const kind = FAULT_KINDS[Math.floor(faultRng() * FAULT_KINDS.length)]!;
    counts[kind]++;
    return kind;
  };
  const drawDelay = (kind: DelayKind, rate: number): boolean => {
    if (rate === 0 || delayRngs[kind]() >= rate) return false;
    counts[kind]++;
    return true;
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        pendingTimers.delete(timer);
        resolve();
      }, ms);
      pendingTimers.add(timer);
    });

  /**
   * The provider model a request's name resolves to; a name not served is a 404, as real endpoints
   * answer. Outside strict mode any embedding model name passes: SimLM has one embedder.
   */
  const resolveModel = (model: unknown, route: "chat" | "embeddings"): string => {
    if (typeof model !== "string" || model === "") throw new RequestError(400, `"model" must be a model name`, "invalid_value", "model");
    if (route === "embeddings" && !options.aliases) return model;
    const target = served.get(model);
    if (target === undefined) throw new RequestError(404, `The model \`${model}\` does not exist or you do not have access to it (served: ${servedNames.join(", ")})`, "model_not_found", "model");
    return target;
  };

  async function chatCompletion(req: http.IncomingMessage, body: Record<string, unknown>): Promise<Completion> {
    const model = body.model as string;
    const target = resolveModel(model, "chat");
    const messages = parseMessages(body.messages);
    const n = optionalNumber(body, "n") ?? 1;
    if (!Number.isInteger(n) || n < 1 || n > MAX_N) throw new RequestError(400, `"n" must be an integer in 1..${MAX_N}`, "invalid_value", "n");
    const maxTokens = optionalNumber(body, "max_completion_tokens") ?? optionalNumber(body, "max_tokens");
    const base = sampleBase(req);
    const meta: ChatMeta = { skill: header(req, SKILL_HEADER), exampleId: header(req, EXAMPLE_HEADER) };
    const choices: Completion["choices"] = [];
    let promptTokens = 0;
    let completionTokens = 0;
    let costUsd = 0;
    let latencyMs = 0;
    for (let i = 0; i < n; i++) {
      const request: ChatRequest = {
        model: target,
        messages,
        temperature: optionalNumber(body, "temperature"),
        maxTokens,
        topP: optionalNumber(body, "top_p"),
        seed: optionalNumber(body, "seed"),
        sampleIndex: i === 0 ? base : (base ?? 0) + i,
      };
      let reply;
      try {
        reply = await provider.chat(request, meta);
      } catch (err) {
        // The provider is deterministic: the same request would fail again, so this is not a 5xx.
        throw new RequestError(400, (err as Error).message, "invalid_request");
      }
      promptTokens = reply.usage.promptTokens; // the prompt is shared by all n samples
      completionTokens += reply.usage.completionTokens;
      costUsd += reply.costUsd;
      latencyMs = Math.max(latencyMs, reply.latencyMs);
      const truncated = maxTokens !== undefined && reply.usage.completionTokens >= maxTokens;
      choices.push({ index: i, message: { role: "assistant", content: reply.text, refusal: null }, logprobs: null, finish_reason: truncated ? "length" : "stop" });
    }
    return {
      id: `chatcmpl-sim-${++completionSeq}`,
      created,
      model, // the name the client asked for: the alias in strict mode
      system_fingerprint: provider.id,
      choices,
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
      simlm: { cost_usd: costUsd, latency_ms: latencyMs },
    };
  }

  async function embeddings(body: Record<string, unknown>): Promise<string> {
    const model = body.model as string;
    const target = resolveModel(model, "embeddings");
    const input = body.input;
    const texts = typeof input === "string" ? [input] : input;
    if (!Array.isArray(texts) || texts.length === 0 || !texts.every((t) => typeof t === "string")) {
      throw new RequestError(400, `"input" must be a string or a non-empty array of strings`, "invalid_value", "input");
    }
    const format = body.encoding_format ?? "float";
    if (format !== "float" && format !== "base64") throw new RequestError(400, `"encoding_format" must be "float" or "base64"`, "invalid_value", "encoding_format");
    let vectors: number[][];
    try {
      vectors = await provider.embed(texts as string[], target);
    } catch (err) {
      throw new RequestError(400, (err as Error).message, "invalid_request");
    }
    const tokens = (texts as string[]).reduce((sum, t) => sum + approxTokens(t), 0);
    return JSON.stringify({
      object: "list",
      model,
      data: vectors.map((v, index) => ({ object: "embedding", index, embedding: format === "base64" ? encodeFloat32Base64(new Float32Array(v)) : v })),
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  }

  const owner = options.aliases ? "serve-sim" : provider.id;
  const modelObject = (id: string) => ({ id, object: "model", created, owned_by: owner });
  const modelList = JSON.stringify({ object: "list", data: servedNames.map(modelObject) });

  /** A reply cut short: half of it, then the connection drops (a streamed one) or ends (a sized one). */
  function sendTruncated(req: http.IncomingMessage, res: http.ServerResponse, reply: string, contentType: string): void {
    const half = reply.slice(0, Math.floor(reply.length / 2));
    if (contentType === "application/json") return send(res, 200, half);
    res.writeHead(200, { "content-type": contentType, "cache-control": "no-cache" });
    res.write(half, () => req.socket.destroy());
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0]!.replace(/\/+$/, "");
    const route = `${req.method} ${path}`;
    if (route === "GET /v1/models") return send(res, 200, modelList);
    if (req.method === "GET" && path.startsWith("/v1/models/")) {
      // Model names may hold slashes (org/model), so the rest of the path is the name.
      const id = decoded(path.slice("/v1/models/".length));
      resolveModel(id, "chat");
      return send(res, 200, JSON.stringify(modelObject(id)));
    }
    if (route !== "POST /v1/chat/completions" && route !== "POST /v1/embeddings") {
      throw new RequestError(404, `no route ${route}; serve-sim serves POST /v1/chat/completions, POST /v1/embeddings, GET /v1/models and GET /v1/models/{model}`, "not_found");
    }
    const text = await readBody(req);
    // Each kind draws from its own stream on every model call: its sequence depends on the seed and its own rate only.
    const hang = drawDelay("hang", hangRate);
    const slow = drawDelay("slow", slowRate);
    const fault = drawFault();
    if (hang) return; // never answered: the client's timeout, or close(), ends the connection
    if (slow) await sleep(slowMs);
    if (req.socket.destroyed) return; // the client gave up while it waited
    if (fault === "drop") {
      req.socket.destroy();
      return;
    }
    if (fault === "rate-limit") {
      const headers = { "retry-after": String(Math.ceil(retryAfterMs / 1000)), "retry-after-ms": String(retryAfterMs) };
      return send(res, 429, errorBody("Rate limit reached (injected fault)", "rate_limit_error", "rate_limit_exceeded", null), headers);
    }
    if (fault === "server-error") return send(res, 500, errorBody("Internal server error (injected fault)", "server_error", null, null));
    if (fault === "unavailable") return send(res, 503, errorBody("Service unavailable (injected fault)", "server_error", null, null));
    const body = parseJsonObject(text);
    let reply: string;
    let contentType = "application/json";
    if (route === "POST /v1/embeddings") reply = await embeddings(body);
    else {
      const completion = await chatCompletion(req, body);
      const options = body.stream_options as { include_usage?: unknown } | null | undefined;
      if (body.stream === true) {
        reply = sseEvents(completion, options?.include_usage === true);
        contentType = "text/event-stream";
      } else {
        const { id, ...rest } = completion;
        reply = JSON.stringify({ id, object: "chat.completion", ...rest });
      }
    }
    if (fault === "truncated") return sendTruncated(req, res, reply, contentType);
    if (contentType === "application/json") return send(res, 200, reply);
    res.writeHead(200, { "content-type": contentType, "cache-control": "no-cache" });
    res.end(reply);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent || req.socket.destroyed) return;
      if (err instanceof RequestError) {
        const type = err.status === 404 && err.code === "not_found" ? "not_found_error" : "invalid_request_error";
        send(res, err.status, errorBody(err.message, type, err.code, err.param));
      } else {
        send(res, 500, errorBody(`serve-sim internal error: ${(err as Error).message}`, "server_error", null, null));
      }
    });
  });
  // Clients reuse connections; keep them open longer than a client's idle pool timeout.
  server.keepAliveTimeout = 65_000;
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}/v1`,
    port,
    faults: () => ({ ...counts }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of pendingTimers) clearTimeout(timer);
        pendingTimers.clear();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
