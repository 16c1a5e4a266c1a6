import { test } from "node:test";
import assert from "node:assert/strict";
import { RunContext, type Overrides } from "../src/core/context";
import { OracleStore } from "../src/data/oracle";
import { loadToyData, registerToyOracles, TOY_SPLITS } from "../src/data/toy";
import { CONCEPTS } from "../src/lm/sim/concepts";
import { LMClient } from "../src/lm/client";
import { SimLM } from "../src/lm/sim/simlm";
import { buildToySystem, retrieve, toyEntry } from "../src/systems/toy";

const data = loadToyData();

test("toy data: split sizes, ids, gold sentence in the document ending with the answer, seeded", () => {
  for (const split of ["train", "val", "test"] as const) {
    assert.equal(data[split].length, TOY_SPLITS[split]);
    data[split].forEach((e, i) => assert.equal(e.id, `toy/${split}/${i}`));
  }
  for (const e of data.test) {
    const gold = String(e.fields.gold_sentence);
    assert.ok(String(e.fields.document).includes(gold));
    assert.match(gold, new RegExp(`\\b${e.fields.answer}\\.$`));
    assert.ok(String(e.fields.question).includes(String(e.fields.country)));
  }
  assert.deepEqual(loadToyData(), data);
  assert.notDeepEqual(loadToyData({ seed: 1 }).test[0], data.test[0]);
  assert.throws(() => loadToyData({ seed: 0.5 }), /seed must be an integer/);
});

test("the toy oracle resolves through the store for the data's own seed", () => {
  const store = new OracleStore();
  registerToyOracles(store);
  const e = data.val[3]!;
  assert.deepEqual(store.get(e.id), { answer: e.fields.answer!, sentence: e.fields.gold_sentence!, entity: e.fields.country! });
  assert.equal(store.get("toy/val/999"), undefined);
  const other = new OracleStore();
  registerToyOracles(other, { seed: 1 });
  assert.equal((other.get("toy/test/0") as { answer: string }).answer, loadToyData({ seed: 1 }).test[0]!.fields.answer);
});

test("the retriever ranks sentences by shared question words and returns k of them", () => {
  const doc = "The river of Alpa is the Kol. The capital of Alpa is Tor. The capital of Beta is Vel.";
  assert.deepEqual(retrieve("What is the capital of Alpa?", doc, 1), ["The capital of Alpa is Tor."]);
  assert.deepEqual(retrieve("What is the capital of Alpa?", doc, 3), ["The capital of Alpa is Tor.", "The river of Alpa is the Kol.", "The capital of Beta is Vel."]);
});

const toyOracles = new OracleStore();
registerToyOracles(toyOracles);
const sim = new SimLM({ world: 0, oracles: toyOracles });
const ctx = new RunContext({ lm: new LMClient({ provider: sim }), seed: 0 });

async function score(overrides: Overrides = {}, examples = data.test): Promise<number> {
  return (await buildToySystem().evaluate(examples, ctx.withOverrides(overrides), { repeats: 2 })).mean;
}

test("the retrieval depth k changes the score", async () => {
  const byK = await Promise.all([1, 3, 8].map((k) => score({ retriever: { variable: { kind: "params", value: { k } } } })));
  assert.ok(new Set(byK).size > 1, `scores by k: ${byK}`);
});

test("the answerer's model changes the score in the direction of its tier", async () => {
  const xs = await score({ answerer: { variable: { kind: "model", value: "sim-xs" } } });
  const xl = await score({ answerer: { variable: { kind: "model", value: "sim-xl" } } });
  assert.ok(xl > xs, `sim-xl ${xl} vs sim-xs ${xs}`);
});

test("the extractor's instruction changes the score in the direction of the world's concept weights", async () => {
  const weights = sim.world.params(sim.skill("toy.extract")!).conceptWeights;
  const pick = (keep: (w: number) => boolean) =>
    CONCEPTS.filter((_, i) => keep(weights[i]!))
      .slice(0, 3)
      .map((c) => c.phrasings[0])
      .join(" ");
  const base = "Find the sentence that answers the question.";
  const helpful = await score({ extractor: { variable: { kind: "prompt", instruction: `${base} ${pick((w) => w > 0.3)}` } } });
  const harmful = await score({ extractor: { variable: { kind: "prompt", instruction: `${base} ${pick((w) => w < -0.3)}` } } });
  assert.ok(helpful > harmful, `helpful ${helpful} vs harmful ${harmful}`);
});

test("upstream outputs matter: the answerer scores higher when handed the gold sentence", async () => {
  const system = buildToySystem();
  let gold = 0;
  let distractor = 0;
  for (const e of data.val) {
    const run = (evidence: string) => system.runFrom(2, { question: e.fields.question!, evidence }, ctx.withExample(e.id));
    gold += await system.scoreOutputs((await run(String(e.fields.gold_sentence))).outputs, e);
    const wrong = String(e.fields.document).split(/(?<=\.) /).find((s) => !s.includes(String(e.fields.answer)))!;
    distractor += await system.scoreOutputs((await run(wrong)).outputs, e);
  }
  assert.ok(gold > distractor + 5, `gold ${gold} vs distractor ${distractor} over ${data.val.length} examples`);
});

test("the registry entry builds, loads and wires the same system", async () => {
  const store = new OracleStore();
  toyEntry.registerOracles(store, {});
  assert.equal(toyEntry.load({}).test[0]!.id, "toy/test/0");
  assert.deepEqual(toyEntry.build({}).components.map((c) => [c.name, c.variable?.kind]), [
    ["retriever", "params"],
    ["extractor", "prompt"],
    ["answerer", "model"],
  ]);
  assert.ok(store.get("toy/train/0"));
});
