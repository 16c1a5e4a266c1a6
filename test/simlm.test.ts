import { test } from "node:test";
import assert from "node:assert/strict";
import type { Json } from "../src/core/json";
import { parseReply, renderMessages, type Signature } from "../src/core/signature";
import type { Demo } from "../src/core/variable";
import { OracleStore } from "../src/data/oracle";
import { CONCEPTS, profileInstruction } from "../src/lm/sim/concepts";
import { embedText, EMBEDDING_DIM } from "../src/lm/sim/embed";
import { MODEL_NAMES } from "../src/lm/sim/models";
import { defineSkill, type Skill } from "../src/lm/sim/skill";
import { SimLM, SIMLM_VERSION } from "../src/lm/sim/simlm";
import { countTokens } from "../src/lm/sim/tokenize";
import { World } from "../src/lm/sim/world";
import type { ChatRequest } from "../src/core/lm-types";

// A toy.answer-shaped request family: the oracle of every example `t/x/<i>` says the answer is Tarsk.
const ANSWER: Signature = {
  instruction: "Answer the question with a short span from the evidence.",
  inputs: [{ name: "question" }, { name: "evidence" }],
  outputs: [{ name: "answer" }],
};
const QUESTION = "What is the capital of Veloria?";
const WITH_ANSWER = "The capital of Veloria is Tarsk.";
const WITHOUT_ANSWER = "The main river of Veloria is the Kol.";

function oracles(): OracleStore {
  const store = new OracleStore();
  store.register("t", (id) => ({ answer: "Tarsk", sentence: WITH_ANSWER, entity: "Veloria", id }));
  return store;
}

interface Options {
  model?: string;
  instruction?: string;
  evidence?: string;
  temperature?: number;
  sampleIndex?: number;
  demos?: Demo[];
  question?: string;
}

function request(o: Options = {}): ChatRequest {
  const sig = { ...ANSWER, instruction: o.instruction ?? ANSWER.instruction };
  return {
    model: o.model ?? "sim-m",
    messages: renderMessages(sig, { question: o.question ?? QUESTION, evidence: o.evidence ?? WITH_ANSWER }, o.demos ?? []),
    temperature: o.temperature ?? 0,
    sampleIndex: o.sampleIndex ?? 0,
  };
}

// This file checks simlm@1's equation and prior (shared/design/simlm.md); simlm@2's own are in test/simlm-v2.test.ts.
const sim = new SimLM({ world: 0, oracles: oracles(), version: "simlm@1" });

/** Mean q and success rate of toy.answer over `n` distinct examples (distinct questions, so distinct draws). */
function rates(o: Options, n = 200): { q: number; success: number } {
  let q = 0;
  let success = 0;
  for (let i = 0; i < n; i++) {
    const a = sim.assess(request({ ...o, question: `${QUESTION} (${i})` }), { skill: "toy.answer", exampleId: `t/x/${i}` })!;
    q += a.q;
    if (a.success) success++;
  }
  return { q: q / n, success: success / n };
}

const answerParams = () => sim.world.params(sim.skill("toy.answer")!);

/** Ids of concepts whose world-0 weight for toy.answer satisfies `keep`, strongest first. */
function conceptsWhere(keep: (w: number) => boolean): number[] {
  const w = answerParams().conceptWeights;
  return CONCEPTS.map((_, i) => i)
    .filter((i) => keep(w[i]!) && !answerParams().interactions.some((x) => x.a === i || x.b === i))
    .sort((a, b) => Math.abs(w[b]!) - Math.abs(w[a]!));
}

function withConcepts(indices: number[]): string {
  return [ANSWER.instruction, ...indices.map((i) => CONCEPTS[i]!.phrasings[0])].join(" ");
}

test("identity, models, and an unknown model is an error naming the seven models", async () => {
  assert.equal(SIMLM_VERSION, "simlm@2");
  assert.equal(sim.id, "simlm@1/world-0");
  assert.deepEqual(await sim.models(), ["sim-xs", "sim-s", "sim-m", "sim-l", "sim-xl", "sim-coder", "sim-med"]);
  await assert.rejects(sim.chat(request({ model: "gpt-4o" }), { skill: "toy.answer" }), /no model "gpt-4o".*sim-xs, sim-s, sim-m, sim-l, sim-xl, sim-coder, sim-med/);
});

test("a reply is a pure function of world, model, messages, sampling parameters and sample index", async () => {
  const meta = { skill: "toy.answer", exampleId: "t/x/1" };
  const a = await sim.chat(request({ temperature: 0.7, sampleIndex: 3 }), meta);
  const b = await new SimLM({ world: 0, oracles: oracles(), version: "simlm@1" }).chat(request({ temperature: 0.7, sampleIndex: 3 }), meta);
  assert.deepEqual(a, b);
  const atZero = new Set<string>();
  for (let s = 0; s < 30; s++) atZero.add((await sim.chat(request({ temperature: 0, sampleIndex: s }), meta)).text);
  assert.equal(atZero.size, 1, "temperature 0 gives one reply whatever the sample index");
  const hot = new Set<string>();
  for (let s = 0; s < 60; s++) hot.add((await sim.chat(request({ model: "sim-xs", temperature: 1, sampleIndex: s }), meta)).text);
  assert.ok(hot.size >= 2, "above temperature 0, sample indices draw different replies");
  const seeds = new Set<string>();
  for (let seed = 0; seed < 60; seed++) seeds.add((await sim.chat({ ...request({ model: "sim-xs", temperature: 1 }), seed }, meta)).text);
  assert.ok(seeds.size >= 2, "above temperature 0, the request seed enters the draw");
});

test("draws at T > 0 are spread: success frequency over sample indices tracks q", () => {
  const meta = { skill: "toy.answer", exampleId: "t/x/1" };
  const q = sim.assess(request({ temperature: 1 }), meta)!.q;
  let hits = 0;
  for (let s = 0; s < 400; s++) if (sim.assess(request({ temperature: 1, sampleIndex: s }), meta)!.success) hits++;
  assert.ok(Math.abs(hits / 400 - q) < 0.08, `success rate ${hits / 400} vs q ${q}`);
});

test("quality rises with helpful instruction concepts and falls with harmful ones", () => {
  const helpful = conceptsWhere((w) => w > 0).slice(0, 3);
  const harmful = conceptsWhere((w) => w < 0).slice(0, 3);
  assert.ok(helpful.length > 0 && harmful.length > 0, "world 0 draws both helpful and harmful concepts for toy.answer");
  const base = rates({});
  const up = rates({ instruction: withConcepts(helpful) });
  const down = rates({ instruction: withConcepts(harmful) });
  assert.ok(up.q > base.q && base.q > down.q);
  assert.ok(up.success > down.success, `success ${up.success} vs ${down.success}`);
});

test("the instruction term is squashed to ±1.5 and long instructions pay a length penalty", () => {
  const params = answerParams();
  const all = withConcepts(conceptsWhere((w) => w > 0));
  assert.ok(Math.abs(sim.assess(request({ instruction: all }), { skill: "toy.answer" })!.instruction) <= 1.5);
  const filler = Array.from({ length: 200 }, (_, i) => `word${i}`).join(" ");
  const short = sim.assess(request({ instruction: "Answer it." }), { skill: "toy.answer" })!.instruction;
  const long = sim.assess(request({ instruction: `Answer it. ${filler}` }), { skill: "toy.answer" })!.instruction;
  assert.equal(short, 0);
  assert.ok(long < -0.3, `200 extra words cost ${long}`);
  assert.ok(params.interactions.length === 3);
});

test("quality rises with model tier", () => {
  const xs = rates({ model: "sim-xs" });
  const xl = rates({ model: "sim-xl" });
  assert.ok(xl.q > xs.q && xl.success > xs.success, `xl ${JSON.stringify(xl)} vs xs ${JSON.stringify(xs)}`);
});

test("correct demos help, incorrect demos hurt, and at most four count", () => {
  const good: Demo = { inputs: { question: "What is the capital of Orn?", evidence: "The capital of Orn is Pell." }, outputs: { answer: "Pell" } };
  const bad: Demo = { inputs: good.inputs, outputs: { answer: "Orn" } };
  const d = (demos: Demo[]) => sim.assess(request({ demos }), { skill: "toy.answer" })!.demos;
  assert.equal(d([good, good]), 0.5);
  assert.ok(Math.abs(d([bad]) + 0.1) < 1e-12);
  assert.equal(d(Array(6).fill(good)), 1);
  assert.ok(rates({ demos: [good, good, good, good] }).q > rates({ demos: [bad, bad, bad, bad] }).q);
});

test("evidence in the inputs drives quality: an answerer without the answer mostly fails", () => {
  const found = rates({ evidence: WITH_ANSWER });
  const missing = rates({ evidence: WITHOUT_ANSWER });
  assert.ok(found.q - missing.q > 0.2);
  assert.ok(found.success > missing.success);
});

test("temperature flattens the logit toward zero", () => {
  const meta = { skill: "toy.answer", exampleId: "t/x/1" };
  const cold = sim.assess(request({ model: "sim-xl" }), meta)!.logit;
  const hot = sim.assess(request({ model: "sim-xl", temperature: 2 }), meta)!.logit;
  assert.ok(Math.abs(hot - cold / 2) < 1e-12);
});

test("good replies carry the gold answer through the real parser; failures do not", () => {
  let good = 0;
  let bad = 0;
  for (let i = 0; i < 200; i++) {
    const req = request({ question: `${QUESTION} [${i}]`, temperature: 0.5 });
    const a = sim.assess(req, { skill: "toy.answer", exampleId: `t/x/${i}` })!;
    if (!a.formatOk) continue;
    const parsed = parseReply(ANSWER.outputs, a.text);
    assert.deepEqual(parsed.missing, []);
    if (a.success) {
      good++;
      assert.equal(parsed.outputs.answer, "Tarsk");
    } else {
      bad++;
      assert.notEqual(parsed.outputs.answer, "Tarsk");
    }
  }
  assert.ok(good > 0 && bad > 0);
});

test("a format failure breaks the parser: markers missing for text, malformed JSON for json fields", () => {
  let textFailures = 0;
  for (let i = 0; i < 300; i++) {
    const a = sim.assess(request({ question: `${QUESTION} {${i}}`, temperature: 1 }), { skill: "toy.answer", exampleId: `t/x/${i}` })!;
    if (a.formatOk) continue;
    textFailures++;
    assert.deepEqual(parseReply(ANSWER.outputs, a.text).missing, ["answer"]);
  }
  assert.ok(textFailures > 0);

  const scorer: Skill<null> = defineSkill({
    name: "test.scores",
    domain: "general",
    failureModes: ["uniform"],
    formatConcepts: ["json-only"],
    analyze: () => null,
    evidence: () => 0,
    good: () => ({ scores: { a: 3, b: 1 } }),
    failure: () => ({ scores: { a: 1, b: 1 } }),
    checkDemo: () => true,
  });
  const jsonSim = new SimLM({ world: 0, skills: [scorer] });
  const sig: Signature = { instruction: "Score the candidates.", inputs: [{ name: "query" }], outputs: [{ name: "scores", type: "json" }] };
  let jsonFailures = 0;
  let parsedOk = 0;
  for (let i = 0; i < 300; i++) {
    const a = jsonSim.assess({ model: "sim-s", messages: renderMessages(sig, { query: `q${i}` }), temperature: 1 }, { skill: "test.scores" })!;
    const parsed = parseReply(sig.outputs, a.text);
    if (a.formatOk) {
      parsedOk++;
      assert.deepEqual(parsed.outputs.scores, a.outputs.scores as Json);
    } else {
      jsonFailures++;
      assert.match(a.text, /\[\[ ## scores ## \]\]/);
      assert.deepEqual(parsed.missing, ["scores"]);
    }
  }
  assert.ok(jsonFailures > 0 && parsedOk > 0);
});

test("requests without a known skill get a well-formed generic reply, never an error", async () => {
  const unknown = await sim.chat(request(), { skill: "nobody.knows" });
  const parsed = parseReply(ANSWER.outputs, unknown.text);
  assert.deepEqual(parsed.missing, []);
  assert.equal(parsed.outputs.answer, QUESTION);
  const none = await sim.chat({ model: "sim-s", messages: [{ role: "user", content: "Tell me about rivers." }] }, {});
  assert.match(none.text, /simlm@1.*not a language model/);
  assert.ok(none.usage.completionTokens > 0);
  const plain = await sim.chat({ model: "sim-s", messages: [{ role: "user", content: "hi" }] }, { skill: "toy.answer" });
  assert.match(plain.text, /generic reply/);
});

test("worlds draw different parameters; one world is reproducible and skills are drawn independently", () => {
  const skill = sim.skill("toy.answer")!;
  const other = sim.skill("toy.extract")!;
  const w0 = new World(0, "simlm@1").params(skill);
  const w1 = new World(1, "simlm@1").params(skill);
  assert.notDeepEqual([...w0.conceptWeights], [...w1.conceptWeights]);
  assert.notDeepEqual(w0.ability, w1.ability);
  const fresh = new World(0, "simlm@1");
  fresh.params(other);
  fresh.params({ name: "another.skill", domain: "code", failureModes: ["a", "b"], formatConcepts: ["json-only"] });
  const again = fresh.params(skill);
  assert.deepEqual([...again.conceptWeights], [...w0.conceptWeights]);
  assert.deepEqual(again.ability, w0.ability);
  assert.deepEqual(again.failureRates, w0.failureRates);
  assert.throws(() => new World(-1), /non-negative integer/);
});

test("the prior: spike-and-slab shares, Dirichlet rates, tiers and specialists", () => {
  const world = new World(7, "simlm@1");
  let nonzero = 0;
  let positive = 0;
  let total = 0;
  const coderGap: number[] = [];
  for (let s = 0; s < 60; s++) {
    const p = world.params({ name: `prior.skill${s}`, domain: s % 2 ? "code" : "general", failureModes: ["a", "b", "c"], formatConcepts: [] });
    for (const w of p.conceptWeights) {
      total++;
      if (w !== 0) nonzero++;
      if (w > 0) positive++;
    }
    assert.ok(Math.abs(p.failureRates.reduce((a, b) => a + b, 0) - 1) < 1e-9);
    coderGap.push((p.ability["sim-coder"]! - p.ability["sim-m"]!) * (s % 2 ? 1 : -1));
  }
  assert.ok(Math.abs(nonzero / total - 0.4) < 0.05, `non-zero share ${nonzero / total}`);
  assert.ok(Math.abs(positive / total - 0.25) < 0.05, `helpful share ${positive / total}`);
  const meanGap = coderGap.reduce((a, b) => a + b, 0) / coderGap.length;
  assert.ok(meanGap > 0.2, "sim-coder beats sim-m on code skills and trails it elsewhere");
});

test("usage, cost and latency: deterministic tokens, prices rising with tier, maxTokens cuts the reply", async () => {
  assert.equal(countTokens("Hello, world!"), 4);
  assert.equal(countTokens("internationalization"), 4);
  const costs: number[] = [];
  for (const model of ["sim-xs", "sim-s", "sim-m", "sim-l", "sim-xl"]) {
    const r = await sim.chat(request({ model }), { skill: "nobody.knows" });
    assert.ok(r.usage.promptTokens > 50 && r.latencyMs > 0);
    costs.push(r.costUsd);
  }
  for (let i = 1; i < costs.length; i++) assert.ok(costs[i]! > costs[i - 1]!);
  const long = await sim.chat({ ...request(), maxTokens: 3 }, { skill: "nobody.knows" });
  assert.equal(long.usage.completionTokens, 3);
  assert.ok(MODEL_NAMES.length === 7);
});

test("embeddings: fixed dimension, unit length, deterministic, similar texts closer", async () => {
  const [a, b, c] = await sim.embed(["The capital of Veloria is Tarsk.", "Tarsk is the capital city of Veloria.", "Photosynthesis needs light."]);
  const dot = (x: number[], y: number[]) => x.reduce((s, v, i) => s + v * y[i]!, 0);
  assert.equal(a!.length, EMBEDDING_DIM);
  assert.ok(Math.abs(dot(a!, a!) - 1) < 1e-9);
  assert.ok(dot(a!, b!) > dot(a!, c!) + 0.3);
  assert.deepEqual(embedText("same text"), embedText("same text"));
});

test("concept bank: ~40 concepts of 3–6 phrasings, each detected alone and case-insensitively", () => {
  assert.ok(CONCEPTS.length >= 35 && CONCEPTS.length <= 45);
  assert.equal(new Set(CONCEPTS.map((c) => c.id)).size, CONCEPTS.length);
  CONCEPTS.forEach((c, i) => {
    assert.ok(c.phrasings.length >= 3 && c.phrasings.length <= 6, c.id);
    for (const p of c.phrasings) {
      assert.deepEqual(profileInstruction(`Start. ${p.toUpperCase()} End.`).concepts, [i], `"${p}" must detect only ${c.id}`);
    }
  });
  assert.ok(CONCEPTS.some((c) => c.id === "answer-line" && c.format) && CONCEPTS.some((c) => c.id === "json-only" && c.format));
});

test("OracleStore resolves ids by dataset prefix, lazily and once", () => {
  const store = new OracleStore();
  let calls = 0;
  store.register("toy", (id) => {
    calls++;
    return id === "toy/test/1" ? { answer: "x" } : undefined;
  });
  assert.equal(calls, 0);
  assert.deepEqual(store.get("toy/test/1"), { answer: "x" });
  assert.deepEqual(store.get("toy/test/1"), { answer: "x" });
  assert.equal(calls, 1);
  assert.equal(store.get("toy/test/2"), undefined);
  assert.equal(store.get("other/test/1"), undefined);
  assert.deepEqual(store.prefixes(), ["toy"]);
  assert.throws(() => store.register("toy", () => undefined), /already registered/);
  assert.throws(() => store.register("a/b", () => undefined), /without "\/"/);
});
