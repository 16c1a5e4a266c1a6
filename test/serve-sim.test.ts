import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import OpenAI from "openai";
import { serveSim, FAULT_KINDS, type SimServer, type SimServerOptions } from "../src/lm/sim/server";
import { OpenAIProvider } from "../src/lm/openai-provider";
import { LMClient } from "../src/lm/client";
import { ResponseCache } from "../src/lm/cache";
import type { ChatMessage } from "../src/core/lm-types";
import { LMRetriesExhaustedError } from "../src/lm/errors";
import { FakeProvider } from "./lm-fake-provider";

const messages: ChatMessage[] = [
  { role: "system", content: "Answer with one word." },
  { role: "user", content: "Capital of France?" },
];

let server: SimServer;
let sdk: OpenAI;

before(async () => {
  server = await serveSim({ provider: new FakeProvider({ id: "fake-served" }) });
  sdk = new OpenAI({ baseURL: server.url, apiKey: "unused", maxRetries: 0 });
});
after(() => server.close());

test("chat completions route skill, example and sample headers to the provider", async () => {
  const completion = await sdk.chat.completions.create(
    { model: "fake-s", messages, temperature: 0.5, max_tokens: 50, seed: 3 },
    { headers: { "x-simlm-skill": "qa.answer", "x-simlm-example": "ex-1", "x-simlm-sample": "4" } },
  );
  const expected = FakeProvider.textFor({ model: "fake-s", messages, temperature: 0.5, maxTokens: 50, seed: 3, sampleIndex: 4 }, { skill: "qa.answer", exampleId: "ex-1" });
  assert.equal(completion.choices.length, 1);
  assert.equal(completion.choices[0]!.message.content, expected);
  assert.equal(completion.choices[0]!.message.role, "assistant");
  assert.equal(completion.choices[0]!.finish_reason, "stop");
  assert.equal(completion.model, "fake-s");
  assert.equal(completion.object, "chat.completion");
  const usage = completion.usage!;
  assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
});

test("n > 1 returns one choice per sample index, with usage over all of them", async () => {
  const completion = await sdk.chat.completions.create(
    { model: "fake-l", messages, temperature: 1, n: 3 },
    { headers: { "x-simlm-skill": "qa.answer", "x-simlm-sample": "10" } },
  );
  const texts = completion.choices.map((c) => c.message.content);
  const expected = [10, 11, 12].map((sampleIndex) => FakeProvider.textFor({ model: "fake-l", messages, temperature: 1, sampleIndex }, { skill: "qa.answer" }));
  assert.deepEqual(texts, expected);
  assert.deepEqual(
    completion.choices.map((c) => c.index),
    [0, 1, 2],
  );
  const single = await sdk.chat.completions.create({ model: "fake-l", messages, temperature: 1 }, { headers: { "x-simlm-sample": "10" } });
  const usage = completion.usage!;
  assert.equal(usage.prompt_tokens, single.usage!.prompt_tokens, "the prompt is counted once");
  assert.equal(usage.completion_tokens, 3 * single.usage!.completion_tokens);
  assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
});

test("a request without routing metadata gets the provider's generic reply", async () => {
  const completion = await sdk.chat.completions.create({ model: "fake-s", messages: [{ role: "user", content: "hello" }] });
  assert.equal(completion.choices[0]!.message.content, FakeProvider.textFor({ model: "fake-s", messages: [{ role: "user", content: "hello" }] }, {}));
  assert.match(completion.choices[0]!.message.content!, /^generic:/);
});

test("embeddings work in the SDK's default base64 encoding and in float", async () => {
  const texts = ["alpha", "beta gamma"];
  const expected = await new FakeProvider().embed(texts);
  const b64 = await sdk.embeddings.create({ model: "fake-s", input: texts });
  assert.deepEqual(
    b64.data.map((d) => d.embedding),
    expected,
  );
  const float = await sdk.embeddings.create({ model: "fake-s", input: "alpha", encoding_format: "float" });
  assert.deepEqual(float.data[0]!.embedding, expected[0]);
  assert.ok(float.usage.prompt_tokens > 0);
});

test("models lists the provider's models", async () => {
  const ids: string[] = [];
  for await (const m of sdk.models.list()) ids.push(m.id);
  assert.deepEqual(ids, ["fake-s", "fake-l"]);
});

test("bad requests get OpenAI-style errors", async () => {
  const post = (body: string) => fetch(`${server.url}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body });
  const malformed = await post("{not json");
  assert.equal(malformed.status, 400);
  const err = (await malformed.json()) as { error: { message: string; type: string } };
  assert.match(err.error.message, /not valid JSON/);
  assert.equal(err.error.type, "invalid_request_error");

  const noMessages = await post(JSON.stringify({ model: "fake-s", messages: [] }));
  assert.equal(noMessages.status, 400);

  await assert.rejects(sdk.chat.completions.create({ model: "gpt-404", messages }), (e: unknown) => e instanceof OpenAI.NotFoundError && /gpt-404/.test(e.message));
  const unknownRoute = await fetch(`${server.url}/completions`, { method: "POST", body: "{}" });
  assert.equal(unknownRoute.status, 404);
  assert.ok(((await unknownRoute.json()) as { error?: unknown }).error);
});

test("with injected faults, LMClient retries still yield the fault-free results", async () => {
  const provider = new FakeProvider({ id: "fake-faulty" });
  const faulty = await serveSim({ provider, faultRate: 0.5, seed: 7 });
  try {
    const waits: number[] = [];
    const client = new LMClient({
      provider: new OpenAIProvider({ baseURL: faulty.url, env: {} }),
      retries: 30,
      sleep: async (ms) => void waits.push(ms),
    });
    const requests = Array.from({ length: 60 }, (_, i) => ({ model: "fake-s", messages: [{ role: "user" as const, content: `q${i}` }], temperature: 0, sampleIndex: i % 3 }));
    for (const r of requests) {
      const meta = { skill: "qa", exampleId: `ex${r.sampleIndex}` };
      assert.equal((await client.chat(r, meta)).text, FakeProvider.textFor(r, meta));
    }
    assert.deepEqual(await client.embed(["x", "yy"]), await provider.embed(["x", "yy"]));
    const faults = faulty.faults();
    for (const kind of FAULT_KINDS) assert.ok(faults[kind] > 0, `fault "${kind}" was injected (${JSON.stringify(faults)})`);
    assert.equal(
      waits.length,
      Object.values(faults).reduce((a, b) => a + b, 0),
      "every fault cost exactly one retry",
    );
    assert.ok(waits.includes(10), "the 429 fault's retry-after-ms was honoured");
  } finally {
    await faulty.close();
  }
});

/** Each request's outcome over raw HTTP: its status, 0 for a cut-short body, -1 for a dropped connection; and whether it was slow. */
async function outcomes(options: Omit<SimServerOptions, "provider">, requests = 20): Promise<{ statuses: number[]; slow: boolean[] }> {
  const s = await serveSim({ provider: new FakeProvider({ id: "fake-seeded" }), ...options });
  try {
    const statuses: number[] = [];
    const slow: boolean[] = [];
    for (let i = 0; i < requests; i++) {
      const slowBefore = s.faults().slow;
      const res = await fetch(`${s.url}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "fake-s", messages: [{ role: "user", content: "hi" }] }),
      }).catch(() => undefined);
      const body = res ? await res.text() : "";
      const parses = (() => {
        try {
          JSON.parse(body);
          return true;
        } catch {
          return false;
        }
      })();
      statuses.push(res === undefined ? -1 : res.status === 200 && !parses ? 0 : res.status);
      slow.push(s.faults().slow > slowBefore);
    }
    return { statuses, slow };
  } finally {
    await s.close();
  }
}

test("the fault sequence is fixed by the seed", async () => {
  const a = (await outcomes({ faultRate: 0.3, seed: 1 })).statuses;
  assert.deepEqual((await outcomes({ faultRate: 0.3, seed: 1 })).statuses, a);
  assert.ok(a.some((s) => s !== 200), "some faults at rate 0.3 over 20 requests");
  assert.notDeepEqual((await outcomes({ faultRate: 0.3, seed: 2 })).statuses, a);
});

test("slow calls are drawn from the seed without moving the fault sequence", async () => {
  const faultsOnly = await outcomes({ faultRate: 0.3, seed: 1 });
  const withSlow = await outcomes({ faultRate: 0.3, slowRate: 0.4, slowMs: 1, seed: 1 });
  assert.deepEqual(withSlow.statuses, faultsOnly.statuses, "adding slow calls keeps every fault where it was");
  assert.ok(withSlow.slow.some(Boolean) && !withSlow.slow.every(Boolean), `some calls slow at rate 0.4 (${withSlow.slow})`);
  assert.deepEqual((await outcomes({ faultRate: 0.3, slowRate: 0.4, slowMs: 1, seed: 1 })).slow, withSlow.slow);
  assert.notDeepEqual((await outcomes({ faultRate: 0.3, slowRate: 0.4, slowMs: 1, seed: 2 })).slow, withSlow.slow);
});

/** Resolves once `done()` holds, checking every few ms (a wait for the server to see a request, not a timing assertion). */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 5));
}

test("a slow call reaches the provider only after its delay; a client that gives up ends it", async () => {
  const provider = new FakeProvider({ id: "fake-slow" });
  const slow = await serveSim({ provider, slowRate: 1, slowMs: 600_000 });
  const controller = new AbortController();
  const reply = fetch(`${slow.url}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "fake-s", messages }),
    signal: controller.signal,
  });
  await until(() => slow.faults().slow === 1);
  assert.equal(provider.calls, 0, "the provider is not asked while the call waits");
  controller.abort();
  await assert.rejects(reply);
  await slow.close(); // resolves at once: the pending delay is cancelled
  assert.equal(provider.calls, 0);
});

test("slow answers are the provider's answers", async () => {
  const provider = new FakeProvider({ id: "fake-slow-answers" });
  const slow = await serveSim({ provider, slowRate: 1, slowMs: 5 });
  try {
    const client = new LMClient({ provider: new OpenAIProvider({ baseURL: slow.url, env: {} }), retries: 0 });
    const request = { model: "fake-l", messages, temperature: 0 };
    assert.equal((await client.chat(request, { skill: "qa" })).text, FakeProvider.textFor(request, { skill: "qa" }));
    assert.equal(slow.faults().slow, 1);
  } finally {
    await slow.close();
  }
});

test("a hung call is never answered: the client's timeout ends it, and a retry gets the answer", async () => {
  const provider = new FakeProvider({ id: "fake-hang" });
  const hung = await serveSim({ provider, hangRate: 1 });
  try {
    const client = new LMClient({ provider: new OpenAIProvider({ baseURL: hung.url, env: {} }), retries: 0, timeoutMs: 100 });
    await assert.rejects(client.chat({ model: "fake-s", messages }, {}), (e: unknown) => e instanceof LMRetriesExhaustedError && e.lastCause === "timeout");
    assert.equal(hung.faults().hang, 1);
    assert.equal(provider.calls, 0, "a hung call never reaches the provider");
  } finally {
    await hung.close(); // the hung connection does not hold the server open
  }
  const sometimes = await serveSim({ provider, hangRate: 0.3, seed: 5 });
  try {
    const waits: number[] = [];
    const client = new LMClient({ provider: new OpenAIProvider({ baseURL: sometimes.url, env: {} }), retries: 10, timeoutMs: 100, sleep: async (ms) => void waits.push(ms) });
    for (let i = 0; i < 12; i++) {
      const request = { model: "fake-s", messages: [{ role: "user" as const, content: `q${i}` }], temperature: 0 };
      assert.equal((await client.chat(request, {})).text, FakeProvider.textFor(request, {}));
    }
    assert.ok(sometimes.faults().hang > 0, "some calls hung at rate 0.3");
    assert.equal(waits.length, sometimes.faults().hang, "every hang cost exactly one retry");
  } finally {
    await sometimes.close();
  }
});

test("the API key never reaches the cache files", async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "serve-sim-cache-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const secret = "sk-test-SECRET-4f9c2e";
  const provider = new OpenAIProvider({ baseURL: server.url, apiKey: secret });
  const client = new LMClient({ provider, cache: new ResponseCache({ dir }) });
  await client.chat({ model: "fake-s", messages, temperature: 0 }, { skill: "qa", exampleId: "ex-1" });
  await client.embed(["alpha"]);
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  assert.equal(files.length, 2);
  for (const f of files) {
    const text = readFileSync(path.join(f.parentPath, f.name), "utf8");
    assert.ok(!text.includes(secret), `${f.name} holds no key`);
    assert.ok(!/authorization|bearer/i.test(text), `${f.name} holds no headers`);
  }
});
