import { test } from "node:test";
import assert from "node:assert/strict";
import { createRuntime } from "../src/repro/runtime";
import { loadToyData, TOY_SPLITS } from "../src/data/toy";
import { retrieve } from "../src/systems/toy";

test("toy data: fixed split sizes, unique ids, answers present in their documents, deterministic", () => {
  const a = loadToyData();
  assert.equal(a.train.length, TOY_SPLITS.train);
  assert.equal(a.test.length, TOY_SPLITS.test);
  const ids = [...a.train, ...a.val, ...a.test].map((e) => e.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const e of a.test) assert.ok(String(e.fields.document).includes(String(e.fields.gold_sentence)));
  assert.deepEqual(loadToyData(), a);
  assert.notDeepEqual(loadToyData({ seed: "other" }).test[0], a.test[0]);
});

test("the retriever ranks by overlap and returns k sentences", () => {
  const doc = "The river of Alpa is the Kol. The capital of Alpa is Tor. The capital of Beta is Vel.";
  assert.deepEqual(retrieve("What is the capital of Alpa?", doc, 1), ["The capital of Alpa is Tor."]);
  assert.equal(retrieve("What is the capital of Alpa?", doc, 3).length, 3);
});

async function score(change: (rt: ReturnType<typeof createRuntime>) => void): Promise<number> {
  const rt = createRuntime({ system: "toy", world: 0 });
  change(rt);
  return (await rt.system.evaluate(rt.data.test, rt.ctx, { repeats: 2 })).mean;
}

test("each optimizable variable of the toy system changes its score", async () => {
  const base = await score(() => undefined);
  const deeper = await score((rt) => rt.system.component("retriever").update({ kind: "params", value: { k: 3 }, space: { k: [1, 2, 3, 5, 8] } }));
  const model = await score((rt) => rt.system.component("answerer").update({ kind: "model", value: "sim-xl", choices: ["sim-xs", "sim-s", "sim-m", "sim-l", "sim-xl", "sim-coder", "sim-med"] }));
  const prompt = await score((rt) => rt.system.component("extractor").update({ kind: "prompt", instruction: "Copy the sentence. Be creative. Think outside the box. Use formal language. Be polite." }));
  assert.notEqual(deeper, base);
  assert.notEqual(model, base);
  assert.notEqual(prompt, base);
});
