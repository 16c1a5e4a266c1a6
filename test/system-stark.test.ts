import { test } from "node:test";
import assert from "node:assert/strict";
import { RunContext } from "../src/core/context";
import { parseRequest } from "../src/core/signature";
import type { Example } from "../src/core/system";
import { OracleStore } from "../src/data/oracle";
import { locateDataFile } from "../src/data/paths";
import { STARK_CANDIDATES_FILE } from "../src/data/stark";
import { loadSynthPrime, type Constraint } from "../src/data/synthprime";
import { LMClient } from "../src/lm/client";
import { Draws } from "../src/lm/sim/hash";
import { SimLM } from "../src/lm/sim/simlm";
import type { Skill, SkillCall } from "../src/lm/sim/skill";
import { starkRelationScore, starkTextScore } from "../src/lm/sim/skills/stark";
import { instructionsFor } from "./sim-instructions";
import type { ChatMeta, ChatRequest, LMProvider } from "../src/core/lm-types";
import { combineScores, parseScores } from "../src/systems/stark/final-scorer";
import { buildStarkSystem, createStarkEntry, RELATION_INSTRUCTION, starkEntry } from "../src/systems/stark/index";
import { resolveSettings } from "../src/systems/settings";
import { pyFloat, pyJsonLoads, pyRound2 } from "../src/systems/stark/python-json";

const OFFLINE = resolveSettings(starkEntry, "simlm");
const data = starkEntry.load(OFFLINE);
const oracles = new OracleStore();
starkEntry.registerOracles(oracles, OFFLINE);

/** A run context on SimLM that records every request it answers. */
function recordingContext(world: number): { ctx: RunContext; requests: { request: ChatRequest; meta: ChatMeta }[] } {
  const sim = new SimLM({ world, oracles });
  const requests: { request: ChatRequest; meta: ChatMeta }[] = [];
  const provider: LMProvider = {
    id: sim.id,
    chat: (request, meta) => {
      requests.push({ request, meta });
      return sim.chat(request, meta);
    },
    embed: (texts) => sim.embed(texts),
    models: () => sim.models(),
  };
  return { ctx: new RunContext({ lm: new LMClient({ provider }), seed: 0 }), requests };
}

/** The skill call SimLM makes for a recorded request, with a fixed draw seed. */
function skillCall(request: ChatRequest, meta: ChatMeta, oracle = meta.exampleId ? oracles.get(meta.exampleId) : undefined, seed = 1): SkillCall {
  const parsed = parseRequest(request.messages)!;
  return { request: parsed, inputs: parsed.inputs, oracle, model: request.model, temperature: 0.6, draws: new Draws(seed) };
}

async function scorerCalls(example: Example): Promise<Record<string, SkillCall>> {
  const { ctx, requests } = recordingContext(0);
  await buildStarkSystem().run(example, ctx);
  return Object.fromEntries(requests.map((r) => [r.meta.skill!, skillCall(r.request, r.meta)]));
}

function goodScores(skill: Skill, call: SkillCall, field: string): number[] {
  return parseScores(skill.good(skill.analyze(call), call)[field]!);
}

test("json.loads port: insertion order, Python's extra literals, strictness", () => {
  const map = pyJsonLoads('{"5": 1, "1": 2, "5": 3, "a": [NaN, -Infinity]}') as Map<string, unknown>;
  assert.deepEqual([...map.keys()], ["5", "1", "a"]);
  assert.equal(map.get("5"), 3);
  assert.ok(Number.isNaN((map.get("a") as number[])[0]));
  for (const bad of ["{1: 0.5}", "{'1': 0.5}", '{"1": 0.5,}', '{"1": 0.5} trailing', '"tab\there"', "", "01"]) {
    assert.throws(() => pyJsonLoads(bad), Error, bad);
  }
  assert.equal(pyJsonLoads(' \n"\\u00e9\\n" '), "é\n");
});

test("float() port: numbers, bools and numeric strings convert; None, lists and words do not", () => {
  assert.deepEqual([pyFloat(0.5), pyFloat(true), pyFloat(" 1_000.5 "), pyFloat(".5"), pyFloat("1e-3"), pyFloat("-inf")], [0.5, 1, 1000.5, 0.5, 0.001, -Infinity]);
  assert.ok(Number.isNaN(pyFloat("NaN")!));
  for (const bad of [null, [1], new Map(), "high", "1_", "1__0", ""]) assert.equal(pyFloat(bad as never), undefined, String(bad));
});

test("round(x, 2) port: halves to even on exact binary ties, correct rounding elsewhere", () => {
  assert.deepEqual([0.125, 0.375, -0.125, 2.675, 1.005, 0.115, 1.5, 7].map(pyRound2), [0.12, 0.38, -0.12, 2.67, 1, 0.12, 1.5, 7]);
});

test("the reference score parser: five values in insertion order, zeros for anything malformed", () => {
  assert.deepEqual(parseScores('{"5": 0.1, "4": 0.2, "3": 0.3, "2": "0.4", "1": true}'), [0.1, 0.2, 0.3, 0.4, 1]);
  const zeros = [0, 0, 0, 0, 0];
  for (const bad of [
    "{1: 0.9, 2: 0.1, 3: 0.1, 4: 0.1, 5: 0.1}",
    '```json\n{"1": 0.9, "2": 0.1, "3": 0.1, "4": 0.1, "5": 0.1}\n```',
    "[0.9, 0.1, 0.1, 0.1, 0.1]",
    '{"1": 0.9, "2": 0.1, "3": 0.1, "4": 0.1}',
    '{"1": 0.9, "2": 0.1, "3": 0.1, "4": 0.1, "5": "high"}',
    '{"1": 0.9, "2": 0.1, "3": 0.1, "4": 0.1, "5": null}',
    "",
  ]) {
    assert.deepEqual(parseScores(bad), zeros, bad);
  }
  assert.deepEqual(parseScores(null), zeros);
});

test("the final scorer adds the weighted LLM scores to the embedding scores, rounded like Python, over zip's length", () => {
  assert.deepEqual(combineScores([1, 0, 0.5, 0, 0], [0, 1, 0.5, 0, 0], [0.3, 0.2, 0.1, 0.125, 0], 1, 0.1), [1.3, 0.3, 0.65, 0.12, 0]);
  assert.deepEqual(combineScores([1, 1], [1, 1, 1], [0.5, 0.5, 0.5], 0.1, 0.1), [0.7, 0.7]);
});

test("wiring: the two scorers run in parallel from the inputs, the final scorer combines them", () => {
  const system = buildStarkSystem();
  assert.deepEqual(system.components.map((c) => c.name), ["relation_scorer", "text_scorer", "final_scorer"]);
  assert.deepEqual(system.requiredInputFields, ["question", "relation_info", "text_info", "emb_scores"]);
  assert.deepEqual(system.components.map((c) => c.variable?.kind), ["prompt", "prompt", "params"]);
  assert.deepEqual(system.component("final_scorer").variable, { kind: "params", value: { relation_weight: 0.1, text_weight: 0.1 }, space: { relation_weight: [0.1, 1], text_weight: [0.1, 1] } });
});

test("SynthPrime at the paper's sizes; oracles resolve the constraints of an example", () => {
  assert.deepEqual([data.train.length, data.val.length, data.test.length], [250, 25, 100]);
  const oracle = oracles.get(data.test[0]!.id) as { constraints: Constraint[] };
  assert.ok(oracle.constraints.length >= 2);
  assert.equal(oracles.get("synthprime/test/no-such-query"), undefined);
});

test("good scores are the share of the query's constraints that each candidate's rendered information shows", async () => {
  let checked = 0;
  for (const example of data.test.slice(0, 25)) {
    const calls = await scorerCalls(example);
    const relation = goodScores(starkRelationScore, calls["stark.relation_score"]!, "relation_scores");
    const text = goodScores(starkTextScore, calls["stark.text_score"]!, "text_scores");
    const oracle = oracles.get(example.id) as { constraints: Constraint[]; satisfied: number[] };
    const nRelation = oracle.constraints.filter((c) => c.kind === "relation").length;
    const nText = oracle.constraints.length - nRelation;
    const infos = JSON.parse(String(example.fields.relation_info)) as string[];
    infos.forEach((info, i) => {
      // A relation cut off by the 1024-character limit is invisible to the scorer.
      if (info.length >= 1024) return;
      const shown = (nRelation > 0 ? relation[i]! * nRelation : 0) + (nText > 0 ? text[i]! * nText : 0);
      assert.ok(Math.abs(shown - oracle.satisfied[i]!) < 1e-9, `${example.id} candidate ${i + 1}`);
      checked++;
    });
  }
  assert.ok(checked > 100);
});

test("without an oracle the scorers rank by what the question mentions of each candidate's information", () => {
  const info = (relations: string): string => `- name: X\n- type: gene/protein\n- relations:\n${relations}`;
  const relationInfo = JSON.stringify([
    info("  - associated with (disease): Tatelo disease, Kopavu disease\n"),
    info("  - associated with (disease): Kopavu disease\n"),
    info("  - associated with (disease): Tatelo disease\n  - pathway member (pathway): ABCD signaling pathway\n"),
    info(""),
    info("  - ppi (gene/protein): RJD87\n"),
  ]);
  const call: SkillCall = {
    request: { instruction: "", inputNames: ["question", "relation_info"], outputNames: ["relation_scores"], jsonOutputs: [], demos: [], inputs: {} },
    inputs: { question: "Which gene in the ABCD signaling pathway is associated with Tatelo disease?", relation_info: relationInfo },
    oracle: undefined,
    model: "sim-m",
    temperature: 0,
    draws: new Draws(1),
  };
  assert.deepEqual(goodScores(starkRelationScore, call, "relation_scores"), [0.5, 0, 1, 0, 0]);
});

test("failure modes: noisy and uniform scores parse, malformed replies parse to zeros", async () => {
  const call = (await scorerCalls(data.test[1]!))["stark.relation_score"]!;
  const a = starkRelationScore.analyze(call);
  const styles = new Set<string>();
  for (let seed = 0; seed < 40; seed++) {
    const c = { ...call, draws: new Draws(seed) };
    const noisy = parseScores(starkRelationScore.failure("noisy", a, c).relation_scores!);
    assert.ok(noisy.every((s) => s >= 0 && s <= 1) && noisy.length === 5);
    assert.equal(new Set(parseScores(starkRelationScore.failure("uniform", a, c).relation_scores!)).size, 1);
    const malformed = String(starkRelationScore.failure("malformed", a, c).relation_scores);
    assert.deepEqual(parseScores(malformed), [0, 0, 0, 0, 0], malformed);
    styles.add(malformed.slice(0, 2));
  }
  assert.ok(styles.size >= 4, `malformed styles: ${[...styles].join(" ")}`);
});

test("each optimizable variable changes the MRR: the scorers' prompts and the final weights", async () => {
  const examples = data.test;
  const score = async (change: (system: ReturnType<typeof buildStarkSystem>) => void): Promise<number> => {
    const system = buildStarkSystem();
    change(system);
    return (await system.evaluate(examples, recordingContext(0).ctx, { repeats: 2 })).mean;
  };
  const base = await score(() => undefined);
  assert.equal(await score(() => undefined), base, "same world and seed, same score");
  const weights = await score((s) => s.component("final_scorer").update({ kind: "params", value: { relation_weight: 1, text_weight: 1 }, space: { relation_weight: [0.1, 1], text_weight: [0.1, 1] } }));
  assert.notEqual(weights, base);
  const prompts = instructionsFor(starkRelationScore, 0, RELATION_INSTRUCTION);
  // simlm@2 bounds an instruction's effect at ±1.2 and gives fewer concepts weight, so gaps are smaller than simlm@1's.
  assert.ok(prompts.gap > 0.8, `instruction gap ${prompts.gap}`);
  const relationWeighted = (instruction: string) => (s: ReturnType<typeof buildStarkSystem>): void => {
    s.component("final_scorer").update({ kind: "params", value: { relation_weight: 1, text_weight: 0.1 }, space: { relation_weight: [0.1, 1], text_weight: [0.1, 1] } });
    s.component("relation_scorer").update({ kind: "prompt", instruction });
  };
  const favoured = await score(relationWeighted(prompts.favoured));
  const disfavoured = await score(relationWeighted(prompts.disfavoured));
  assert.notEqual(favoured, disfavoured);
  assert.ok(favoured > disfavoured, `favoured ${favoured} vs disfavoured ${disfavoured}`);
});

test("the entry generates SynthPrime once, on first use, for the data and the oracles", () => {
  let generated = 0;
  const entry = createStarkEntry(() => {
    generated++;
    return loadSynthPrime({ sizes: { train: 2, val: 1, test: 2 } });
  });
  const store = new OracleStore();
  entry.registerOracles(store, OFFLINE);
  assert.equal(generated, 0, "registering oracles must not generate data");
  const splits = entry.load(OFFLINE);
  assert.ok(store.get(splits.test[0]!.id));
  assert.equal(generated, 1);
});

test("the data source is validated; STaRK-Prime proper loads the built candidate file or says how to build it, and registers STaRK's oracles", () => {
  assert.deepEqual([OFFLINE, resolveSettings(starkEntry, "openai")], [{ source: "synthprime" }, { source: "synthprime" }]);
  assert.throws(() => resolveSettings(starkEntry, "simlm", { source: "prime" }), /^Error: system "stark": setting "source" must be synthprime or stark-prime \(got "prime"\)$/);
  const starkPrime = resolveSettings(starkEntry, "simlm", { source: "stark-prime" });
  const store = new OracleStore();
  createStarkEntry().registerOracles(store, starkPrime);
  assert.deepEqual(store.prefixes(), ["stark"]);
  if (locateDataFile("stark", STARK_CANDIDATES_FILE)) {
    const splits = createStarkEntry().load(starkPrime);
    assert.deepEqual([splits.train.length, splits.val.length, splits.test.length], [250, 25, 100]);
  } else {
    assert.throws(() => createStarkEntry().load(starkPrime), /stark_prime_candidates\.jsonl: not found .*build it with `.*scripts\/build_stark_prime\.py/);
  }
});
