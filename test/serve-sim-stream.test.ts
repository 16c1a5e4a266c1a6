/**
 * serve-sim answers `stream: true` with server-sent events, as OpenAI does: read through the
 * official SDK's streaming API, the concatenated deltas are the non-streamed reply.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { serveSim, type SimServer } from "../src/lm/sim/server";
import { SimLM } from "../src/lm/sim/simlm";
import { FakeProvider } from "./lm-fake-provider";

const messages = [
  { role: "system" as const, content: "Answer in a sentence." },
  { role: "user" as const, content: "Why is the sky blue?" },
];
// No skill: SimLM's generic reply, several sentences long.
const routing = { headers: { "x-simlm-sample": "2" } };

let server: SimServer;
let sdk: OpenAI;

before(async () => {
  server = await serveSim({ provider: new SimLM({ world: 0 }) });
  sdk = new OpenAI({ baseURL: server.url, apiKey: "unused", maxRetries: 0 });
});
after(() => server.close());

/** Every chunk of a streamed completion, read with the SDK. */
async function streamed(params: Omit<OpenAI.ChatCompletionCreateParamsStreaming, "stream">): Promise<OpenAI.ChatCompletionChunk[]> {
  const stream = await sdk.chat.completions.create({ ...params, stream: true }, routing);
  const chunks: OpenAI.ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

test("the concatenated deltas of a stream equal the non-streamed reply", async () => {
  const params = { model: "sim-s", messages, temperature: 0.7 };
  const whole = await sdk.chat.completions.create(params, routing);
  const chunks = await streamed(params);
  assert.ok(chunks.length > 3, "the reply arrives in several chunks");
  assert.ok(chunks.every((c) => c.object === "chat.completion.chunk" && c.model === "sim-s" && c.id === chunks[0]!.id));
  assert.equal(chunks[0]!.choices[0]!.delta.role, "assistant");
  assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? "").join(""), whole.choices[0]!.message.content);
  const finishes = chunks.flatMap((c) => c.choices.map((ch) => ch.finish_reason)).filter((f) => f !== null);
  assert.deepEqual(finishes, [whole.choices[0]!.finish_reason], "one finish reason, on the last content chunk");
  assert.ok(chunks.every((c) => c.usage === undefined), "no usage unless asked for");
});

test("with include_usage the last chunk carries the usage, with no choices", async () => {
  const params = { model: "sim-l", messages, temperature: 0, max_tokens: 5 };
  const whole = await sdk.chat.completions.create(params, routing);
  assert.equal(whole.choices[0]!.finish_reason, "length", "max_tokens cut the reply");
  const chunks = await streamed({ ...params, stream_options: { include_usage: true } });
  const last = chunks[chunks.length - 1]!;
  assert.deepEqual(last.choices, []);
  assert.deepEqual(last.usage, whole.usage);
  assert.ok(chunks.slice(0, -1).every((c) => c.usage === null), "earlier chunks carry usage: null, as OpenAI sends them");
  assert.equal(chunks.flatMap((c) => c.choices).find((ch) => ch.finish_reason !== null)?.finish_reason, whole.choices[0]!.finish_reason);
});

test("n > 1 streams every choice under its index", async () => {
  const params = { model: "sim-s", messages, temperature: 1, n: 3 };
  const whole = await sdk.chat.completions.create(params, routing);
  const chunks = await streamed(params);
  const texts = ["", "", ""];
  for (const c of chunks) for (const ch of c.choices) texts[ch.index] += ch.delta.content ?? "";
  assert.deepEqual(
    texts,
    whole.choices.map((c) => c.message.content),
  );
});

test("the stream's framing: an event-stream of JSON chunks, then [DONE]", async () => {
  const res = await fetch(`${server.url}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "sim-s", messages, stream: true }),
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
  const events = (await res.text()).split("\n\n").filter(Boolean);
  assert.equal(events[events.length - 1], "data: [DONE]");
  assert.ok(events.slice(0, -1).every((e) => e.startsWith("data: {")), "every other event is one JSON chunk");
});

test("a truncated stream fails the reader instead of ending quietly", async () => {
  const faulty = await serveSim({ provider: new FakeProvider({ id: "fake-stream-faulty" }), faultRate: 1, seed: 3 });
  try {
    const client = new OpenAI({ baseURL: faulty.url, apiKey: "unused", maxRetries: 0 });
    let truncatedSeen = 0;
    for (let i = 0; i < 40 && truncatedSeen < 2; i++) {
      const before = faulty.faults().truncated;
      const outcome = await client.chat.completions
        .create({ model: "fake-s", messages, stream: true }, routing)
        .then(async (stream) => {
          for await (const chunk of stream) void chunk;
          return "complete";
        })
        .catch(() => "failed");
      if (faulty.faults().truncated > before) {
        truncatedSeen++;
        assert.equal(outcome, "failed", "a stream cut short is an error for the client");
      }
      assert.equal(outcome, "failed", "at fault rate 1 no request succeeds");
    }
    assert.ok(truncatedSeen > 0, `the truncated fault was drawn (${JSON.stringify(faulty.faults())})`);
  } finally {
    await faulty.close();
  }
});
