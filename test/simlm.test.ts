import { test } from "node:test";
import assert from "node:assert/strict";
import { SimLM } from "../src/lm/sim/simlm";
import { OracleStore } from "../src/data/oracle";
import { parseReply, renderMessages, type Signature } from "../src/core/signature";
import { CONCEPTS } from "../src/lm/sim/concepts";
import { instructionProfile, instructionTerm } from "../src/lm/sim/quality";
import { World } from "../src/lm/sim/world";
import { callMeta, PROPOSE, JUDGE, scoredInstructionsText } from "../src/lm/meta-prompts";
import type { ChatRequest, LM } from "../src/lm/types";

// A store whose oracle marks "Tarsk" as the answer of every toy-like example.
const oracles = new OracleStore();
oracles.register("t", () => ({ answer: "Tarsk", sentence: "The capital of Veloria is Tarsk." }));

const answerSig: Signature = { instruction: "Answer the question with a short span from the evidence.", inputs: [{ name: "question" }, { name: "evidence" }], outputs: [{ name: "answer" }] };

function request(model: string, evidence: string, instruction = answerSig.instruction, temperature = 0.7, sampleIndex = 0, demos: { inputs: Record<string, string>; outputs: Record<string, string> }[] = []): ChatRequest {
  return { model, messages: renderMessages({ ...answerSig, instruction }, { question: "What is the capital of Veloria?", evidence }, demos), temperature, sampleIndex };
}

async function successRate(sim: SimLM, make: (i: number) => ChatRequest, n = 1500): Promise<number> {
  let ok = 0;
  for (let i = 0; i < n; i++) {
    const r = await sim.chat(make(i), { skill: "toy.answer", exampleId: `t/x/${i}` });
    if (parseReply(answerSig.outputs, r.text).outputs.answer === "Tarsk") ok++;
  }
  return ok / n;
}

const GOLD = "The capital of Veloria is Tarsk.";
const sim = new SimLM({ world: 0, oracles });

test("a reply is a pure function of the request: same request, same text; temperature 0 ignores the sample index", async () => {
  const a = await sim.chat(request("sim-m", GOLD, undefined, 0.7, 3), { skill: "toy.answer", exampleId: "t/x/1" });
  const b = await new SimLM({ world: 0, oracles }).chat(request("sim-m", GOLD, undefined, 0.7, 3), { skill: "toy.answer", exampleId: "t/x/1" });
  assert.deepEqual(a, b);
  const zero = new Set<string>();
  for (let s = 0; s < 20; s++) zero.add((await sim.chat(request("sim-m", GOLD, undefined, 0, s), { skill: "toy.answer", exampleId: "t/x/1" })).text);
  assert.equal(zero.size, 1);
  const hot = new Set<string>();
  for (let s = 0; s < 40; s++) hot.add((await sim.chat(request("sim-m", GOLD, undefined, 0.7, s), { skill: "toy.answer", exampleId: "t/x/1" })).text);
  assert.ok(hot.size > 1, "samples above temperature 0 never differed");
});

test("quality rises with model tier and with evidence in the inputs", async () => {
  const xs = await successRate(sim, (i) => request("sim-xs", GOLD, undefined, 0.7, i));
  const xl = await successRate(sim, (i) => request("sim-xl", GOLD, undefined, 0.7, i));
  assert.ok(xl > xs + 0.1, `sim-xl ${xl} vs sim-xs ${xs}`);
  const without = await successRate(sim, (i) => request("sim-xl", "The river of Veloria is the Kamo.", undefined, 0.7, i));
  assert.ok(without < 0.05, `answer found without evidence: ${without}`);
});

test("instruction concepts move quality in the direction of their world weight", async () => {
  const params = sim.world.params("toy.answer", "general", 2);
  const helpful = CONCEPTS.find((c) => !c.format && (params.conceptWeight[c.id] ?? 0) > 0.4);
  const harmful = CONCEPTS.find((c) => !c.format && (params.conceptWeight[c.id] ?? 0) < -0.3);
  assert.ok(helpful && harmful, "world 0 should draw both helpful and harmful concepts for toy.answer");
  const base = await successRate(sim, (i) => request("sim-m", GOLD, "Answer the question.", 0.7, i));
  const up = await successRate(sim, (i) => request("sim-m", GOLD, `Answer the question. ${helpful.phrasings[0]}`, 0.7, i));
  const down = await successRate(sim, (i) => request("sim-m", GOLD, `Answer the question. ${harmful.phrasings[0]}`, 0.7, i));
  assert.ok(up > base && base > down, `helpful ${up}, none ${base}, harmful ${down}`);
});

test("correct demonstrations help, incorrect ones hurt", async () => {
  const good = [{ inputs: { question: "Q?", evidence: "The river of Ostum is the Kalo." }, outputs: { answer: "Kalo" } }];
  const bad = [{ inputs: { question: "Q?", evidence: "The river of Ostum is the Kalo." }, outputs: { answer: "the river is probably long" } }];
  const none = await successRate(sim, (i) => request("sim-s", GOLD, undefined, 0.7, i));
  const withGood = await successRate(sim, (i) => request("sim-s", GOLD, undefined, 0.7, i, [good[0]!, good[0]!, good[0]!]));
  const withBad = await successRate(sim, (i) => request("sim-s", GOLD, undefined, 0.7, i, [bad[0]!, bad[0]!, bad[0]!]));
  assert.ok(withGood > none && none > withBad, `good ${withGood}, none ${none}, bad ${withBad}`);
});

test("format failures produce replies the real parser cannot read", async () => {
  let unreadable = 0;
  for (let i = 0; i < 400; i++) {
    const r = await sim.chat(request("sim-xs", GOLD, "Answer.", 1, i), { skill: "toy.answer", exampleId: "t/x/2" });
    if (parseReply(answerSig.outputs, r.text).missing.length > 0) unreadable++;
  }
  assert.ok(unreadable > 0 && unreadable < 400, `unreadable replies: ${unreadable}/400`);
});

test("requests without a known skill get a well-formed generic reply; unknown models are an error", async () => {
  const generic = await sim.chat({ model: "sim-m", messages: [{ role: "user", content: "hello there" }] }, {});
  assert.match(generic.text, /simulated model/);
  const unknown = await sim.chat(request("sim-m", GOLD), { skill: "no.such.skill" });
  assert.match(unknown.text, /no skill/i);
  await assert.rejects(sim.chat(request("gpt-4o", GOLD), { skill: "toy.answer" }), /sim-xs, sim-s/);
});

test("accounting: tokens, cost rising with tier, and a simulated latency", async () => {
  const s = await sim.chat(request("sim-s", GOLD), { skill: "toy.answer" });
  const xl = await sim.chat(request("sim-xl", GOLD), { skill: "toy.answer" });
  assert.ok(s.usage.promptTokens > 20 && s.usage.completionTokens > 0);
  assert.ok(xl.costUsd > s.costUsd && s.costUsd > 0);
  assert.ok(xl.latencyMs > 0);
});

test("worlds are drawn from the seed: different worlds, different parameters; same world, same parameters", () => {
  const a = new World(0).params("toy.answer", "general", 2);
  const b = new World(1).params("toy.answer", "general", 2);
  assert.deepEqual(new World(0).params("toy.answer", "general", 2), a);
  assert.notDeepEqual(a.ability, b.ability);
});

test("meta.propose edits the best instruction, and a strong proposer improves P more than a weak one", async () => {
  const lm: LM = { providerId: sim.id, chat: async (r, m) => ({ ...(await sim.chat(r, m ?? {})), cached: false }), embed: (t) => sim.embed(t) };
  const params = sim.world.params("toy.answer", "general", 2);
  const start = "Answer the question.";
  const meanGain = async (model: string) => {
    let gain = 0;
    for (let i = 0; i < 60; i++) {
      const out = await callMeta(PROPOSE, { component_description: "answers", scored_instructions: scoredInstructionsText([{ instruction: start, score: 0.5 }]), tip: "Be creative." }, { lm, model, skill: "meta.propose", targetSkill: "toy.answer", temperature: 0.7, sampleIndex: i, stage: "t" });
      const proposed = String(out.proposed_instruction);
      assert.notEqual(proposed, start);
      gain += instructionTerm(params, instructionProfile(proposed)) - instructionTerm(params, instructionProfile(start));
    }
    return gain / 60;
  };
  const strong = await meanGain("sim-xl");
  const weak = await meanGain("sim-xs");
  assert.ok(strong > weak, `strong proposer ${strong} vs weak ${weak}`);
  assert.ok(strong > 0, `proposals should improve P on average (got ${strong})`);
});

test("judge.score answers 1..10 and prefers grounded, non-empty outputs", async () => {
  const lm: LM = { providerId: sim.id, chat: async (r, m) => ({ ...(await sim.chat(r, m ?? {})), cached: false }), embed: (t) => sim.embed(t) };
  const judge = async (output: string, i: number) =>
    Number((await callMeta(JUDGE, { component_description: "answers", component_inputs: GOLD, component_output: output }, { lm, model: "sim-l", skill: "judge.score", temperature: 0, sampleIndex: i, stage: "t" })).score);
  const grounded: number[] = [];
  const empty: number[] = [];
  for (let i = 0; i < 30; i++) {
    grounded.push(await judge(`Tarsk capital Veloria ${i}`, i));
    empty.push(await judge("", i));
  }
  for (const s of [...grounded, ...empty]) assert.ok(Number.isInteger(s) && s >= 1 && s <= 10);
  assert.ok(grounded.reduce((a, b) => a + b) > empty.reduce((a, b) => a + b));
});

test("embeddings are deterministic unit vectors, closer for similar texts", async () => {
  const [a, b, c] = await sim.embed(["the capital of Veloria", "capital of Veloria", "a recipe for bread"]);
  const dot = (x: number[], y: number[]) => x.reduce((s, v, i) => s + v * y[i]!, 0);
  assert.ok(Math.abs(dot(a!, a!) - 1) < 1e-9);
  assert.ok(dot(a!, b!) > dot(a!, c!));
  assert.deepEqual((await sim.embed(["the capital of Veloria"]))[0], a);
});
