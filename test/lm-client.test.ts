import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { LMClient, type LMClientOptions } from "../src/lm/client";
import { Budget, BudgetExceededError } from "../src/core/budget";
import { CacheMissError, ResponseCache, cacheKeyOf, chatKeyMaterial } from "../src/lm/cache";
import { LMHttpError, LMRetriesExhaustedError, LMTimeoutError, LMTransportError, parseRetryAfter } from "../src/lm/errors";
import { FatalRunError, failureCauseOf } from "../src/core/failure";
import { RunContext } from "../src/core/context";
import { mapLimit } from "../src/core/concurrency";
import type { ChatRequest } from "../src/core/lm-types";
import { describeLMEvent, type LMClientEvent } from "../src/lm/events";
import { FakeProvider } from "./lm-fake-provider";

let providerSeq = 0;
/** Each test gets its own endpoint id, so endpoint-wide concurrency limits never leak between tests. */
const fake = (options: ConstructorParameters<typeof FakeProvider>[0] = {}): FakeProvider => new FakeProvider({ id: `fake-${++providerSeq}`, ...options });

function recordingClient(options: LMClientOptions): { client: LMClient; waits: number[] } {
  const waits: number[] = [];
  const client = new LMClient({ sleep: async (ms) => void waits.push(ms), ...options });
  return { client, waits };
}

const request = (i = 0): ChatRequest => ({
  model: "fake-s",
  messages: [
    { role: "system", content: "Be helpful." },
    { role: "user", content: `question ${i}` },
  ],
  temperature: 0,
});

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), "lm-client-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("transient failures are retried until the call succeeds", async () => {
  const failures: [string, Error][] = [
    ["429", new LMHttpError(429, "slow down")],
    ["500", new LMHttpError(500, "boom")],
    ["502", new LMHttpError(502, "bad gateway")],
    ["503", new LMHttpError(503, "unavailable")],
    ["drop", new LMTransportError("socket hang up")],
    ["timeout", new LMTimeoutError(5)],
  ];
  for (const [label, err] of failures) {
    const provider = fake();
    provider.script.push(err, err);
    const { client, waits } = recordingClient({ provider, retries: 3 });
    const reply = await client.chat(request(), { skill: "s" });
    assert.equal(reply.text, FakeProvider.textFor(request(), { skill: "s" }), label);
    assert.equal(provider.calls, 3, `${label}: two failures then success`);
    assert.equal(waits.length, 2, label);
  }
});

test("client errors are never retried", async () => {
  for (const status of [400, 401, 403, 404, 422]) {
    const provider = fake();
    provider.script.push(new LMHttpError(status, `status ${status}`));
    const { client, waits } = recordingClient({ provider, retries: 5 });
    await assert.rejects(client.chat(request()), (err: unknown) => err instanceof LMHttpError && err.status === status);
    assert.equal(provider.calls, 1, `status ${status}: one attempt`);
    assert.deepEqual(waits, []);
  }
  const provider = fake();
  provider.script.push(new TypeError("a bug, not an outage"));
  const { client } = recordingClient({ provider });
  await assert.rejects(client.chat(request()), TypeError);
  assert.equal(provider.calls, 1);
});

test("retries stop after the configured count: retries-exhausted, with the attempts and the last cause, counted in the ledger", async () => {
  const provider = fake();
  for (let i = 0; i < 5; i++) provider.script.push(new LMHttpError(503, `outage ${i}`));
  const { client, waits } = recordingClient({ provider, retries: 2 });
  await assert.rejects(client.chat(request()), (err: unknown) => {
    assert.ok(err instanceof LMRetriesExhaustedError);
    assert.equal(failureCauseOf(err), "retries-exhausted");
    assert.equal(err.attempts, 3);
    assert.equal(err.lastCause, "http-503");
    assert.match(err.message, /gave up after 3 attempts.*outage 2/);
    return true;
  });
  assert.equal(provider.calls, 3);
  assert.equal(waits.length, 2);
  const { retries } = client.ledger.snapshot();
  assert.deepEqual({ ...retries, waitMs: 0 }, { count: 2, waitMs: 0, byCause: { "http-503": 2 }, exhausted: 1 });
  assert.equal(retries.waitMs, Math.round(waits[0]!) + Math.round(waits[1]!), "the ledger sums the waits the client slept");
});

test("backoff grows exponentially with deterministic jitter, capped at maxDelayMs", async () => {
  const delays = async (): Promise<number[]> => {
    const provider = new FakeProvider({ id: "fake-backoff" });
    for (let i = 0; i < 6; i++) provider.script.push(new LMHttpError(500, "boom"));
    const { client, waits } = recordingClient({ provider, retries: 6, baseDelayMs: 100, maxDelayMs: 1000 });
    await client.chat(request());
    return waits;
  };
  const waits = await delays();
  assert.equal(waits.length, 6);
  waits.forEach((w, attempt) => {
    const exponential = Math.min(1000, 100 * 2 ** attempt);
    assert.ok(w >= exponential / 2 && w < exponential, `attempt ${attempt}: ${w} within [${exponential / 2}, ${exponential})`);
  });
  assert.deepEqual(await delays(), waits, "same endpoint and call sequence → same waits");
});

test("Retry-After from the endpoint replaces the computed backoff", async () => {
  const provider = fake();
  provider.script.push(new LMHttpError(429, "slow down", 7), new LMHttpError(503, "busy", 0));
  const { client, waits } = recordingClient({ provider, baseDelayMs: 10_000 });
  await client.chat(request());
  assert.deepEqual(waits, [7, 0]);
});

test("Retry-After is read as retry-after-ms, seconds, or an HTTP date", () => {
  const now = Date.parse("2025-01-01T00:00:00Z");
  assert.equal(parseRetryAfter("3", null, now), 3000);
  assert.equal(parseRetryAfter("0.02", undefined, now), 20);
  assert.equal(parseRetryAfter("3", "150", now), 150, "retry-after-ms wins");
  assert.equal(parseRetryAfter("Wed, 01 Jan 2025 00:00:04 GMT", null, now), 4000);
  assert.equal(parseRetryAfter("Tue, 31 Dec 2024 23:59:00 GMT", null, now), 0, "a past date means now");
  assert.equal(parseRetryAfter("soon", null, now), undefined);
  assert.equal(parseRetryAfter(null, null, now), undefined);
  assert.equal(parseRetryAfter("-1", null, now), undefined);
});

test("a call past its timeout is aborted and retried", async () => {
  const hanging = fake({ hang: true });
  const { client, waits } = recordingClient({ provider: hanging, timeoutMs: 20, retries: 1 });
  await assert.rejects(
    client.chat(request()),
    (err: unknown) => err instanceof LMRetriesExhaustedError && err.lastError instanceof LMTimeoutError && err.lastError.timeoutMs === 20 && err.lastCause === "timeout",
  );
  assert.equal(hanging.calls, 2, "the timeout is transient: one retry");
  assert.equal(hanging.inFlight, 0, "the provider saw the abort and settled");
  assert.equal(waits.length, 1);
  assert.deepEqual(client.ledger.snapshot().retries.byCause, { timeout: 1 });
});

test("the timeout fires even when the provider ignores the abort signal", async () => {
  const deaf = fake();
  deaf.chat = () => new Promise(() => undefined);
  const { client } = recordingClient({ provider: deaf, timeoutMs: 10, retries: 0 });
  await assert.rejects(client.chat(request()), (err: unknown) => err instanceof LMRetriesExhaustedError && err.attempts === 1 && err.lastCause === "timeout");
});

test("a Retry-After above the maximum stops the run at once, naming the wait and the fix", async () => {
  const provider = fake();
  provider.script.push(new LMHttpError(429, "quota", 3_600_000));
  const { client, waits } = recordingClient({ provider, maxRetryAfterMs: 60_000 });
  await assert.rejects(client.chat(request()), (err: unknown) => {
    assert.ok(err instanceof FatalRunError, String(err));
    assert.match(err.message, /asked to wait 3600 s .* maximum of 60 s/);
    assert.match(err.message, /--max-retry-after/);
    assert.ok(err.message.includes(provider.id), "names the endpoint");
    return true;
  });
  assert.deepEqual(waits, [], "nothing waited for the hour");
  assert.equal(provider.calls, 1);

  const patient = fake();
  patient.script.push(new LMHttpError(429, "busy", 60_000));
  const obeyed = recordingClient({ provider: patient, maxRetryAfterMs: 60_000 });
  await obeyed.client.chat(request());
  assert.deepEqual(obeyed.waits, [60_000], "a wait at the maximum is obeyed");
});

test("an endpoint that refuses every connection and never answered is fatal after one call's retries", async () => {
  const refused = () => new LMTransportError("connect ECONNREFUSED", { unreachable: true });
  const provider = fake();
  for (let i = 0; i < 3; i++) provider.script.push(refused());
  const { client, waits } = recordingClient({ provider, retries: 2 });
  await assert.rejects(client.chat(request()), (err: unknown) => err instanceof FatalRunError && /unreachable: 3 attempt/.test(err.message) && err.message.includes(provider.id));
  assert.equal(waits.length, 2);

  // Once it has answered, a refusal is an outage of a live server: counted, not fatal.
  const flaky = fake();
  const { client: live } = recordingClient({ provider: flaky, retries: 1 });
  await live.chat(request(0));
  flaky.script.push(refused(), refused());
  await assert.rejects(live.chat(request(1)), LMRetriesExhaustedError);
});

test("the endpoint concurrency limit is never exceeded, across clients of one endpoint", async () => {
  const provider = fake({ delayMs: 2 });
  const a = new LMClient({ provider, concurrency: 3 });
  const b = new LMClient({ provider }); // adopts the endpoint's limit
  const replies = await mapLimit(Array.from({ length: 30 }, (_, i) => i), 30, (i) => (i % 2 ? a : b).chat(request(i)));
  assert.equal(replies.length, 30);
  assert.equal(provider.maxInFlight, 3);
  assert.throws(() => new LMClient({ provider, concurrency: 5 }), /already has a concurrency limit of 3/);
});

test("the budget stops calls at the llmCalls cap, and cache hits count", async (t) => {
  const provider = fake();
  const cache = new ResponseCache({ dir: tempDir(t) });
  const warm = new LMClient({ provider, cache });
  await warm.chat(request(0));
  await warm.chat(request(1));
  assert.equal(provider.calls, 2);

  const budget = new Budget({ llmCalls: 3 });
  const client = new LMClient({ provider, cache, budget });
  const replies = [await client.chat(request(0)), await client.chat(request(1)), await client.chat(request(2))];
  assert.deepEqual(
    replies.map((r) => r.cached),
    [true, true, false],
  );
  await assert.rejects(client.chat(request(0)), (err: unknown) => err instanceof BudgetExceededError && err.resource === "llmCalls" && err.cap === 3);
  assert.equal(provider.calls, 3, "the refused call never reached the provider");
  assert.equal(budget.spent.llmCalls, 3);
});

test("a run spends the same budget with a cold or a warm cache", async (t) => {
  const dir = tempDir(t);
  const provider = fake();
  const spend = async (): Promise<{ spent: Budget["spent"]; texts: string[] }> => {
    const budget = new Budget();
    const client = new LMClient({ provider, cache: new ResponseCache({ dir }), budget });
    const texts = [];
    for (let i = 0; i < 4; i++) texts.push((await client.chat(request(i))).text);
    return { spent: budget.spent, texts };
  };
  const cold = await spend();
  const warm = await spend();
  assert.equal(provider.calls, 4, "the second run was served from the cache");
  assert.deepEqual(warm, cold);
});

test("token and cost caps stop the run on the call that crosses them", async () => {
  const probe = await new LMClient({ provider: fake() }).chat(request());
  const perCallTokens = probe.usage.promptTokens + probe.usage.completionTokens;
  const caps = [
    { caps: { tokens: 2 * perCallTokens + 1 }, resource: "tokens" },
    { caps: { costUsd: 2.5 * probe.costUsd }, resource: "costUsd" },
  ] as const;
  for (const { caps: cap, resource } of caps) {
    const budget = new Budget(cap);
    const client = new LMClient({ provider: fake(), budget });
    await client.chat(request());
    await client.chat(request());
    await assert.rejects(client.chat(request()), (err: unknown) => err instanceof BudgetExceededError && err.resource === resource);
    assert.equal(budget.spent.llmCalls, 3, resource);
  }
});

test("a read-only cache miss is fatal without reaching the provider", async (t) => {
  const provider = fake();
  const dir = tempDir(t);
  const client = new LMClient({ provider, cache: new ResponseCache({ dir, mode: "read-only" }) });
  await assert.rejects(client.chat(request()), (err: unknown) => err instanceof CacheMissError && err instanceof FatalRunError && err.message.includes(dir) && /--cache read-write/.test(err.message));
  assert.equal(provider.calls, 0);
});

test("a corrupt cache entry is reported once and re-fetched in read-write mode, fatal in read-only mode", async (t) => {
  const dir = tempDir(t);
  const provider = fake();
  const recorder = new LMClient({ provider, cache: new ResponseCache({ dir }) });
  const fresh = await recorder.chat(request());
  const key = cacheKeyOf(chatKeyMaterial(provider.id, request()));
  const file = new ResponseCache({ dir }).fileOf(key);
  const intact = readFileSync(file, "utf8");
  writeFileSync(file, intact.slice(0, intact.length - 20)); // truncated, as a killed writer or a full disk leaves it

  const events: LMClientEvent[] = [];
  const { client, waits } = recordingClient({ provider, cache: new ResponseCache({ dir }), onEvent: (e) => events.push(e) });
  const refetched = await client.chat(request());
  assert.deepEqual({ ...refetched, cached: false }, fresh);
  assert.equal(refetched.cached, false, "the reply came from the provider again");
  assert.equal(provider.calls, 2);
  assert.deepEqual(waits, [], "no retries, no waiting");
  assert.deepEqual(events, [{ kind: "cache-corrupt", file, refetch: true }]);
  assert.equal(client.ledger.snapshot().cacheCorrupted, 1);
  assert.equal(readFileSync(file, "utf8"), intact, "the entry was rewritten whole");
  assert.equal((await client.chat(request())).cached, true);

  writeFileSync(file, intact.replace(/"text":"/, '"text":"x'));
  const replay = new LMClient({ provider, cache: new ResponseCache({ dir, mode: "read-only" }) });
  await assert.rejects(replay.chat(request()), (err: unknown) => err instanceof FatalRunError && err.message.includes(file) && /corrupt/.test(err.message));
  assert.equal(replay.ledger.snapshot().cacheCorrupted, 1);
  assert.equal(provider.calls, 2, "read-only never reaches the provider");
});

test("each retry is reported before its wait, with the cause, the attempt and the wait", async () => {
  const provider = fake();
  provider.script.push(new LMHttpError(429, "slow down", 3_200), new LMTimeoutError(5));
  const events: LMClientEvent[] = [];
  const { client, waits } = recordingClient({ provider, retries: 4, onEvent: (e) => events.push(e) });
  await client.chat(request());
  assert.deepEqual(
    events.map((e) => (e.kind === "retry" ? [e.cause, e.attempt, e.attempts, e.waitMs] : e.kind)),
    [
      ["http-429", 1, 5, 3_200],
      ["timeout", 2, 5, waits[1]],
    ],
  );
  assert.match(describeLMEvent(events[0]!), new RegExp(`^retrying \\(429\\) in 3\\.2 s, after attempt 1 of 5 \\(\\d+\\.\\d s so far\\) on ${provider.id}$`));
});

test("the ledger totals calls, tokens and cost per model, component and stage", async () => {
  const provider = fake();
  const client = new LMClient({ provider });
  const calls: [string, string | undefined, string | undefined][] = [
    ["fake-s", "rewrite", "eval"],
    ["fake-s", "answer", "eval"],
    ["fake-l", "answer", "optimize"],
    ["fake-l", undefined, undefined],
  ];
  let tokens = 0;
  let cost = 0;
  for (const [model, component, stage] of calls) {
    const r = await client.chat({ ...request(), model }, { component, stage });
    tokens += r.usage.promptTokens + r.usage.completionTokens;
    cost += r.costUsd;
  }
  const snap = client.ledger.snapshot();
  assert.equal(snap.total.calls, 4);
  assert.equal(snap.total.promptTokens + snap.total.completionTokens, tokens);
  assert.ok(Math.abs(snap.total.costUsd - cost) < 1e-12);
  assert.deepEqual(Object.keys(snap.byModel), ["fake-l", "fake-s"]);
  assert.equal(snap.byModel["fake-s"]!.calls, 2);
  assert.deepEqual(
    Object.fromEntries(Object.entries(snap.byComponent).map(([k, v]) => [k, v.calls])),
    { "(unattributed)": 1, answer: 2, rewrite: 1 },
  );
  assert.deepEqual(
    Object.fromEntries(Object.entries(snap.byStage).map(([k, v]) => [k, v.calls])),
    { "(unattributed)": 1, eval: 2, optimize: 1 },
  );
  for (const groups of [snap.byModel, snap.byComponent, snap.byStage]) {
    const sum = Object.values(groups).reduce((n, g) => n + g.completionTokens, 0);
    assert.equal(sum, snap.total.completionTokens, "each grouping partitions the total");
  }
  assert.deepEqual(JSON.parse(JSON.stringify(snap)), snap, "the snapshot is plain JSON");

  const resumed = new LMClient({ provider });
  resumed.ledger.restore(snap);
  assert.deepEqual(resumed.ledger.snapshot(), snap);
});

test("the ledger marks cache hits", async (t) => {
  const provider = fake();
  const cache = new ResponseCache({ dir: tempDir(t) });
  const client = new LMClient({ provider, cache });
  await client.chat(request(), { component: "c" });
  await client.chat(request(), { component: "c" });
  const snap = client.ledger.snapshot();
  assert.equal(snap.byComponent.c!.calls, 2);
  assert.equal(snap.byComponent.c!.cachedCalls, 1);
});

test("replayed replies equal fresh ones, and changing the sample index misses the cache", async (t) => {
  const provider = fake();
  const client = new LMClient({ provider, cache: new ResponseCache({ dir: tempDir(t) }) });
  const fresh = await client.chat(request());
  const replay = await client.chat(request());
  assert.deepEqual({ ...replay, cached: false }, fresh);
  assert.equal(replay.cached, true);
  const other = await client.chat({ ...request(), sampleIndex: 1 });
  assert.equal(other.cached, false);
  assert.notEqual(other.text, fresh.text);
});

test("embeddings go through retries and the cache without spending llmCalls", async (t) => {
  const provider = fake();
  provider.script.push(new LMHttpError(503, "busy"));
  const budget = new Budget({ llmCalls: 0 });
  const { client, waits } = recordingClient({ provider, budget, cache: new ResponseCache({ dir: tempDir(t) }) });
  const first = await client.embed(["alpha", "beta"]);
  const second = await client.embed(["alpha", "beta"]);
  assert.deepEqual(second, first);
  assert.equal(provider.embedCalls, 2, "one retried call, then a cache hit");
  assert.equal(waits.length, 1);
  assert.deepEqual(client.ledger.snapshot().embeddings, { calls: 2, cachedCalls: 1, texts: 4 });
});

test("a RunContext adopts its client's budget and refuses a different one", () => {
  const budget = new Budget({ llmCalls: 5 });
  const client = new LMClient({ provider: fake(), budget });
  assert.equal(new RunContext({ lm: client, seed: 1 }).budget, budget);
  assert.equal(new RunContext({ lm: client, seed: 1, budget }).budget, budget);
  assert.throws(() => new RunContext({ lm: client, seed: 1, budget: new Budget() }), /different Budget/);
});
