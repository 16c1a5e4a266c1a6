/**
 * The HTTP path (openai SDK → serve-sim → SimLM) and the in-process path (SimLM directly) must
 * compute identical replies for the same world and request.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { RunContext } from "../src/core/context";
import type { Example } from "../src/core/system";
import { OracleStore } from "../src/data/oracle";
import { LMClient } from "../src/lm/client";
import { OpenAIProvider } from "../src/lm/openai-provider";
import { serveSim, type SimServer } from "../src/lm/sim/server";
import { SimLM } from "../src/lm/sim/simlm";
import type { ChatRequest } from "../src/core/lm-types";
import { toyEntry } from "../src/systems/toy";
import { recordToyRequests, type RecordedCall } from "./serve-sim-toy-requests";

const WORLD = 3;
let simlm: SimLM;
let server: SimServer;
let remote: OpenAIProvider;
let examples: Example[];
/** Requests the toy system really sends, recorded in process. */
let recorded: RecordedCall[];

before(async () => {
  const oracles = new OracleStore();
  toyEntry.registerOracles(oracles, {});
  simlm = new SimLM({ world: WORLD, oracles });
  server = await serveSim({ provider: simlm });
  remote = new OpenAIProvider({ baseURL: server.url, env: {} });
  examples = toyEntry.load({}).train.slice(0, 6);
  recorded = await recordToyRequests(simlm, examples);
});
after(() => server.close());

test("the toy system's requests get identical replies over HTTP and in process", async () => {
  assert.ok(recorded.length >= 2 * examples.length);
  assert.ok(recorded.some((c) => c.meta.skill === "toy.extract") && recorded.some((c) => c.meta.skill === "toy.answer"));
  let skillReplies = 0;
  for (const { request, meta } of recorded) {
    const local = await simlm.chat(request, meta);
    const viaHttp = await remote.chat(request, meta);
    assert.deepEqual(viaHttp, local, `${meta.skill} on ${meta.exampleId}`);
    if (/\[\[ ## (evidence|answer) ## \]\]/.test(local.text)) skillReplies++;
  }
  assert.ok(skillReplies > 0, "the skills answered (not only generic replies)");
});

test("n > 1 over HTTP equals in-process draws at consecutive sample indices", async () => {
  const { request, meta } = recorded.find((c) => c.meta.skill === "toy.extract")!;
  const sdk = new OpenAI({ baseURL: server.url, apiKey: "unused", maxRetries: 0 });
  const completion = await sdk.chat.completions.create(
    { model: request.model, messages: request.messages, temperature: 1, n: 4 },
    { headers: { "x-simlm-skill": meta.skill!, "x-simlm-example": meta.exampleId!, "x-simlm-sample": "5" } },
  );
  const expected = [];
  for (const sampleIndex of [5, 6, 7, 8]) expected.push((await simlm.chat({ ...request, temperature: 1, sampleIndex }, meta)).text);
  assert.deepEqual(
    completion.choices.map((c) => c.message.content),
    expected,
  );
  const single = await simlm.chat({ ...request, temperature: 1, sampleIndex: 5 }, meta);
  assert.equal(completion.usage!.prompt_tokens, single.usage.promptTokens);
});

test("a request without skill metadata gets the same generic reply both ways", async () => {
  const request: ChatRequest = { model: "sim-m", messages: [{ role: "user", content: "Tell me about rivers." }] };
  const local = await simlm.chat(request, {});
  assert.deepEqual(await remote.chat(request, {}), local);
});

test("the toy system scores the same through serve-sim as in process", async () => {
  const system = toyEntry.build({});
  const inProcess = await system.evaluate(examples, new RunContext({ lm: new LMClient({ provider: simlm }), seed: 0 }), { repeats: 2 });
  const overHttp = await system.evaluate(examples, new RunContext({ lm: new LMClient({ provider: remote }), seed: 0 }), { repeats: 2 });
  assert.deepEqual(overHttp.scores, inProcess.scores);
  assert.equal(overHttp.failures, 0);
});
