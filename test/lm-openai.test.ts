import { test } from "node:test";
import assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { OpenAIProvider } from "../src/lm/openai-provider";
import { LMEndpointRefusedError, LMHttpError, LMRetriesExhaustedError, LMTransportError, isRetryable } from "../src/lm/errors";
import { LMClient, type LMClientOptions } from "../src/lm/client";
import type { LMClientEvent } from "../src/lm/events";
import { FatalRunError, failureCauseOf } from "../src/core/failure";
import type { ChatRequest } from "../src/core/lm-types";

const request: ChatRequest = { model: "m", messages: [{ role: "user", content: "hi" }], temperature: 0 };

const completion = JSON.stringify({
  id: "c1",
  object: "chat.completion",
  created: 0,
  model: "m-2025",
  choices: [{ index: 0, message: { role: "assistant", content: "hello" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 },
});

interface Scripted {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

/** A one-route server that answers from a script and records request headers. */
async function scriptedServer(t: { after: (fn: () => Promise<void>) => void }, replies: Scripted[]): Promise<{ url: string; seen: http.IncomingHttpHeaders[] }> {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on("end", () => {
      const r = replies.shift() ?? { status: 500, body: "{}" };
      res.writeHead(r.status, { "content-type": "application/json", ...r.headers });
      res.end(r.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, seen };
}

test("a missing API key for a remote endpoint is one line naming OPENAI_API_KEY", () => {
  assert.throws(
    () => new OpenAIProvider({ env: {} }),
    (err: Error) => /OPENAI_API_KEY is not set/.test(err.message) && /api\.openai\.com/.test(err.message) && !err.message.includes("\n"),
  );
  assert.doesNotThrow(() => new OpenAIProvider({ env: { OPENAI_BASE_URL: "http://localhost:8000/v1" } }));
  assert.throws(() => new OpenAIProvider({ env: { OPENAI_BASE_URL: "not a url" } }), /OPENAI_BASE_URL "not a url" is not a URL/);
});

test("the provider id names the endpoint without credentials, and the key stays hidden", () => {
  const secret = "sk-very-secret-key";
  const p = new OpenAIProvider({ baseURL: "https://user:pw@example.test/v1/", apiKey: secret });
  assert.equal(p.id, "openai:https://example.test/v1");
  assert.ok(!JSON.stringify(p).includes(secret));
  assert.ok(!inspect(p, { depth: 5, showHidden: true }).includes(secret));
  assert.ok(!JSON.stringify(p).includes("pw"));
});

test("chat sends routing headers and sampling parameters, and prices usage", async (t) => {
  const { url, seen } = await scriptedServer(t, [{ status: 200, body: completion }]);
  const p = new OpenAIProvider({ baseURL: url, env: {}, prices: { m: { promptPerMTokUsd: 2, completionPerMTokUsd: 8 } } });
  const reply = await p.chat({ ...request, sampleIndex: 3 }, { skill: "hotpot.answer", exampleId: "ex/é 1", component: "answer" });
  assert.equal(reply.text, "hello");
  assert.equal(reply.model, "m-2025");
  assert.deepEqual(reply.usage, { promptTokens: 1000, completionTokens: 500 });
  assert.ok(Math.abs(reply.costUsd - (1000 * 2 + 500 * 8) / 1e6) < 1e-12);
  const h = seen[0]!;
  assert.equal(h["x-simlm-skill"], "hotpot.answer");
  assert.equal(decodeURIComponent(String(h["x-simlm-example"])), "ex/é 1");
  assert.equal(h["x-simlm-sample"], "3");
  assert.equal(h["x-stainless-retry-count"], "0", "the SDK does not retry on its own");
});

test("HTTP errors map to LMHttpError with Retry-After; only 429 and 5xx are retryable", async (t) => {
  const { url } = await scriptedServer(t, [
    { status: 429, body: '{"error":{"message":"slow down"}}', headers: { "retry-after": "2" } },
    { status: 503, body: '{"error":{"message":"busy"}}', headers: { "retry-after-ms": "25" } },
    { status: 400, body: '{"error":{"message":"bad request"}}' },
  ]);
  const p = new OpenAIProvider({ baseURL: url, apiKey: "sk-leaky" });
  const outcome = async (): Promise<LMHttpError> => {
    const err = await p.chat(request, {}).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof LMHttpError, String(err));
    return err;
  };
  const rate = await outcome();
  assert.deepEqual([rate.status, rate.retryAfterMs, isRetryable(rate)], [429, 2000, true]);
  const busy = await outcome();
  assert.deepEqual([busy.status, busy.retryAfterMs, isRetryable(busy)], [503, 25, true]);
  const bad = await outcome();
  assert.deepEqual([bad.status, isRetryable(bad)], [400, false]);
});

test("a truncated 200 body and an unreachable endpoint are retryable transport errors", async (t) => {
  const { url } = await scriptedServer(t, [{ status: 200, body: completion.slice(0, 40) }]);
  const p = new OpenAIProvider({ baseURL: url, env: {} });
  await assert.rejects(p.chat(request, {}), (e: unknown) => e instanceof LMTransportError && isRetryable(e) && /unreadable response body/.test(e.message));

  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const gone = new OpenAIProvider({ baseURL: `http://127.0.0.1:${port}/v1`, env: {} });
  await assert.rejects(gone.chat(request, {}), (e: unknown) => e instanceof LMTransportError && e.unreachable && isRetryable(e) && /check OPENAI_BASE_URL/.test(e.message));
});

test("an abort from the caller surfaces as the reason it gave", async (t) => {
  const server = http.createServer(() => undefined); // never answers
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const p = new OpenAIProvider({ baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, env: {} });
  const controller = new AbortController();
  const reason = new Error("client timeout");
  setTimeout(() => controller.abort(reason), 10);
  await assert.rejects(p.chat(request, {}, controller.signal), (e: unknown) => e === reason);
});

/** A client on `url` that records its waits instead of sleeping them. */
function clientOn(url: string, options: Partial<LMClientOptions> & { apiKey?: string } = {}): { client: LMClient; waits: number[] } {
  const waits: number[] = [];
  const { apiKey, ...rest } = options;
  const provider = new OpenAIProvider({ baseURL: url, apiKey, env: {} });
  return { client: new LMClient({ provider, sleep: async (ms) => void waits.push(ms), ...rest }), waits };
}

const SECRET = "sk-test-do-not-print-1234567890";

test("401 is fatal at once: the endpoint, the status and OPENAI_API_KEY, never the key", async (t) => {
  // Real servers echo (part of) the key they refused; the message must not.
  const { url } = await scriptedServer(t, [{ status: 401, body: JSON.stringify({ error: { message: `Incorrect API key provided: ${SECRET}`, code: "invalid_api_key" } }) }]);
  const { client, waits } = clientOn(url, { apiKey: SECRET });
  await assert.rejects(client.chat(request), (err: unknown) => {
    assert.ok(err instanceof LMEndpointRefusedError && err instanceof FatalRunError, String(err));
    assert.equal(err.status, 401);
    assert.equal(err.endpoint, url);
    assert.match(err.message, /HTTP 401/);
    assert.match(err.message, /set OPENAI_API_KEY/);
    assert.ok(!err.message.includes(SECRET) && !err.message.includes(SECRET.slice(3)), `no key in: ${err.message}`);
    assert.ok(!inspect(err).includes(SECRET), "nor in the inspected error");
    return true;
  });
  assert.deepEqual(waits, [], "never retried");
});

test("403 names the model and the key's permissions; 404 names the model and the base URL", async (t) => {
  const { url } = await scriptedServer(t, [
    { status: 403, body: '{"error":{"message":"You do not have access"}}' },
    { status: 404, body: '{"error":{"message":"The model `gpt-9` does not exist","code":"model_not_found"}}' },
  ]);
  const { client } = clientOn(url);
  await assert.rejects(client.chat({ ...request, model: "gpt-9" }), (err: unknown) => err instanceof LMEndpointRefusedError && err.status === 403 && /"gpt-9"/.test(err.message) && /permissions/.test(err.message));
  await assert.rejects(
    client.chat({ ...request, model: "gpt-9" }),
    (err: unknown) => err instanceof LMEndpointRefusedError && err.status === 404 && /"gpt-9"/.test(err.message) && err.message.includes(url) && /OPENAI_BASE_URL/.test(err.message),
  );
});

test("a hung endpoint under a short timeout: timeouts, retries, then retries-exhausted", async (t) => {
  let requests = 0;
  const server = http.createServer(() => void requests++); // accepts, never answers
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  const events: LMClientEvent[] = [];
  const { client, waits } = clientOn(url, { timeoutMs: 50, retries: 2, onEvent: (e) => events.push(e) });
  await assert.rejects(client.chat(request), (err: unknown) => {
    assert.ok(err instanceof LMRetriesExhaustedError, String(err));
    assert.equal(failureCauseOf(err), "retries-exhausted");
    assert.equal(err.lastCause, "timeout");
    assert.equal(err.attempts, 3);
    assert.match(err.message, /did not answer within 0.05 s/);
    return true;
  });
  assert.equal(requests, 3, "each attempt reached the server and was abandoned");
  assert.equal(waits.length, 2);
  assert.deepEqual(
    events.map((e) => e.kind === "retry" && e.cause),
    ["timeout", "timeout"],
  );
  assert.deepEqual(client.ledger.snapshot().retries.byCause, { timeout: 2 });
});

test("Retry-After: 3600 is not obeyed: fatal, naming the wait, without waiting", async (t) => {
  const { url } = await scriptedServer(t, [{ status: 429, body: '{"error":{"message":"You exceeded your current quota"}}', headers: { "retry-after": "3600" } }]);
  const { client, waits } = clientOn(url, { maxRetryAfterMs: 60_000 });
  await assert.rejects(client.chat(request), (err: unknown) => err instanceof FatalRunError && /wait 3600 s/.test(err.message) && err.message.includes(url));
  assert.deepEqual(waits, []);
});

test("truncated bodies and connections cut mid-body are retried, never a raw parse error", async (t) => {
  const { url } = await scriptedServer(t, [
    { status: 200, body: completion.slice(0, completion.length >> 1) },
    { status: 200, body: "null" },
    { status: 200, body: completion },
  ]);
  const events: LMClientEvent[] = [];
  const { client } = clientOn(url, { onEvent: (e) => events.push(e) });
  assert.equal((await client.chat(request)).text, "hello");
  assert.deepEqual(
    events.map((e) => e.kind === "retry" && e.cause),
    ["transport", "transport"],
  );

  // The server promises more bytes than it sends, then closes: the body read fails half-way.
  const cut = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": "application/json", "content-length": String(completion.length) });
    res.write(completion.slice(0, 30));
    setTimeout(() => res.destroy(), 5);
  });
  await new Promise<void>((resolve) => cut.listen(0, "127.0.0.1", resolve));
  t.after(() => {
    cut.closeAllConnections();
    cut.close();
  });
  const { client: cutClient } = clientOn(`http://127.0.0.1:${(cut.address() as AddressInfo).port}/v1`, { retries: 1 });
  await assert.rejects(cutClient.chat(request), (err: unknown) => err instanceof LMRetriesExhaustedError && err.lastCause === "transport" && err.lastError instanceof LMTransportError);
});

test("an endpoint that refuses connections and never answered is fatal after its retries", async () => {
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const url = `http://127.0.0.1:${port}/v1`;
  const { client, waits } = clientOn(url, { retries: 2 });
  await assert.rejects(client.chat(request), (err: unknown) => err instanceof FatalRunError && /unreachable/.test(err.message) && err.message.includes(url) && /start the server/.test(err.message));
  assert.equal(waits.length, 2, "after its retries, not before");
});
