import { test } from "node:test";
import assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { OpenAIProvider } from "../src/lm/openai-provider";
import { LMHttpError, LMTransportError, isRetryable } from "../src/lm/errors";
import type { ChatRequest } from "../src/lm/types";

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
    { status: 401, body: '{"error":{"message":"bad key sk-leaky"}}' },
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
  const auth = await outcome();
  assert.deepEqual([auth.status, isRetryable(auth)], [401, false]);
  assert.match(auth.message, /check OPENAI_API_KEY/);
  assert.ok(!auth.message.includes("sk-leaky"), "the key is redacted from error messages");
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
  await assert.rejects(gone.chat(request, {}), (e: unknown) => e instanceof LMTransportError && isRetryable(e) && /check OPENAI_BASE_URL/.test(e.message));
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
