/**
 * simlm@2's generic skill serves a compound system defined only here: three LLM components with
 * their own signatures and skill names SimLM has never heard of, and an oracle for the final
 * output only. Nothing below is SimLM code: the system, its data and its metric are the user's.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { RunContext } from "../src/core/context";
import { LLMComponent } from "../src/core/llm-component";
import { CompoundSystem, type Example } from "../src/core/system";
import { OracleStore } from "../src/data/oracle";
import { LMClient } from "../src/lm/client";
import { SimLM } from "../src/lm/sim/simlm";
import { tokenF1 } from "../src/metrics/f1";

const FESTIVALS = ["Lantern Fair", "Harvest Moot", "Glass Parade", "River Regatta", "Kite Week", "Salt Market", "Bell Night", "Ember Feast"];
const CITIES = ["Oskar Point", "Velmora", "Tarsk", "Queln Harbor", "Ardith", "Brenn", "Solvay", "Maren Ford"];

/** The user's data: notes about where festivals are held; the question asks about one of them. */
function examples(withAnswer: boolean): Example[] {
  return FESTIVALS.flatMap((festival, f) =>
    [0, 1, 2].map((k) => {
      const city = CITIES[(f + 3 * k) % CITIES.length]!;
      const others = [1, 2, 3, 4].map((d) => `The ${FESTIVALS[(f + d) % FESTIVALS.length]} draws crowds to ${CITIES[(f + 3 * k + d) % CITIES.length]}.`);
      const notes = withAnswer ? [others[0], `The ${festival} is held every spring in ${city}.`, ...others.slice(1)] : others;
      return { id: `fest/test/${f}-${k}`, fields: { question: `Where is the ${festival} held?`, notes: notes.join("\n"), city } };
    }),
  );
}

function festivalSystem(): CompoundSystem {
  const scout = new LLMComponent({
    name: "scout",
    description: "Finds the note that answers the question.",
    inputs: [{ name: "question" }, { name: "notes", description: "one fact per line" }],
    outputs: [{ name: "clue" }],
    skill: "fest.scout",
    instruction: "Copy the note that answers the question.",
    config: { model: "sim-l", temperature: 0.7 },
  });
  const drafter = new LLMComponent({
    name: "drafter",
    description: "Writes a draft answer from the clue.",
    inputs: [{ name: "question" }, { name: "clue" }],
    outputs: [{ name: "draft" }],
    skill: "fest.draft",
    instruction: "Draft an answer to the question from the clue.",
    config: { model: "sim-l", temperature: 0.7 },
  });
  const finalizer = new LLMComponent({
    name: "finalizer",
    description: "Gives the final short answer.",
    inputs: [{ name: "question" }, { name: "draft" }],
    outputs: [{ name: "verdict", description: "the city only" }],
    skill: "fest.final",
    instruction: "Answer with the city only.",
    config: { model: "sim-l", temperature: 0.7 },
  });
  return new CompoundSystem({
    name: "festivals",
    components: [scout, drafter, finalizer],
    metric: (prediction, example) => tokenF1(String(prediction.verdict ?? ""), String(example.fields.city)),
  });
}

/** The user's oracle: the gold of the final output only, by its field name. */
function oracles(data: readonly Example[]): OracleStore {
  const store = new OracleStore();
  const byId = new Map(data.map((e) => [e.id, e]));
  store.register("fest", (id) => (byId.has(id) ? { verdict: String(byId.get(id)!.fields.city) } : undefined));
  return store;
}

async function evaluate(data: Example[], world: number): Promise<{ mean: number; scores: number[] }> {
  const ctx = new RunContext({ lm: new LMClient({ provider: new SimLM({ world, oracles: oracles(data) }) }), seed: 0 });
  const r = await festivalSystem().evaluate(data, ctx.withStage("eval"), { repeats: 3 });
  return { mean: r.mean, scores: r.scores.flat().filter((s): s is number => s !== null) };
}

test("a user's three-component system runs offline on the generic skill: answers from the oracle, realistic failures, graded scores", async () => {
  for (const world of [0, 1, 2]) {
    const { mean, scores } = await evaluate(examples(true), world);
    assert.ok(mean > 0.3 && mean < 0.95, `world ${world}: mean token F1 ${mean}`);
    assert.ok(scores.some((s) => s === 1) && scores.some((s) => s === 0), `world ${world}: right and wrong answers`);
    assert.ok(scores.some((s) => s > 0 && s < 1), `world ${world}: some near misses`);
  }
});

test("the generic skill's evidence is the text each component received: without the answering note the system mostly fails", async () => {
  for (const world of [0, 1, 2]) {
    const found = await evaluate(examples(true), world);
    const missing = await evaluate(examples(false), world);
    assert.ok(missing.mean < found.mean / 2, `world ${world}: ${missing.mean} without the note vs ${found.mean} with it`);
  }
});

test("intermediate components carry the gold-bearing note downstream, not every note", async () => {
  const data = examples(true);
  const ctx = new RunContext({ lm: new LMClient({ provider: new SimLM({ world: 0, oracles: oracles(data) }) }), seed: 0 });
  let carried = 0;
  let copiedAll = 0;
  for (const example of data) {
    const { context } = await festivalSystem().run(example, ctx.withStage("eval"));
    const clue = String(context.clue ?? "");
    if (clue.includes(String(example.fields.city))) carried++;
    if (clue.split(".").length >= String(example.fields.notes).split(".").length) copiedAll++;
  }
  assert.ok(carried > data.length / 2 && copiedAll < data.length / 4, `${carried} clues carry the city, ${copiedAll} copy every note, of ${data.length}`);
});
