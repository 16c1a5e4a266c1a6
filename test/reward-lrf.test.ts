import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { LocalRewardModel, type RewardHead } from "../src/reward/lrf";
import { HashedNgramFeaturizer } from "../src/reward/hashed-featurizer";
import { EmbeddingFeaturizer } from "../src/reward/embedding-featurizer";
import { syntheticPairs } from "../src/reward/synthetic";
import type { PreferencePair, RewardInput } from "../src/reward/types";
import type { LM } from "../src/lm/types";

// Small hashed blocks and trunk keep every training run here well under a second.
const HASH_BITS = 9;
const HIDDEN = [32, 16];
const QA: RewardHead = { name: "qa", description: "Answers the question from the passage." };

function model(heads: RewardHead[] = [QA], seed = 7): Promise<LocalRewardModel> {
  return LocalRewardModel.create({ heads, featurizer: new HashedNgramFeaturizer({ hashBits: HASH_BITS }), hidden: HIDDEN, seed });
}

const rowsOf = (pairs: readonly PreferencePair[], description = QA.description): RewardInput[] =>
  pairs.flatMap((p) => [
    { component: p.component, description, inputs: p.inputs, outputs: p.chosen },
    { component: p.component, description, inputs: p.inputs, outputs: p.rejected },
  ]);

test("learns a lexical preference (a hidden good word in the output) to held-out accuracy above 0.9", async () => {
  const m = await model();
  const train = syntheticPairs({ component: "qa", prefer: "marker", count: 150, seed: "train", scores: "graded" });
  const heldOut = syntheticPairs({ component: "qa", prefer: "marker", count: 150, seed: "held-out" });
  const before = await m.pairAccuracy(heldOut);
  const report = await m.train(train, { epochs: 6 });
  const after = await m.pairAccuracy(heldOut);
  assert.ok(after.accuracy > 0.9, `held-out accuracy ${after.accuracy} (before training ${before.accuracy})`);
  assert.equal(after.pairs, 150);
  assert.ok(report.epochs.at(-1)!.loss < report.epochs[0]!.loss, "loss decreases");
  assert.equal(report.steps, 6 * Math.ceil(150 / 32));
  m.dispose();
});

test("learns a preference relative to the inputs (copy from the passage) on passages of unseen words", async () => {
  const m = await model();
  const train = syntheticPairs({ component: "qa", prefer: "copied", count: 150, seed: "train" });
  const heldOut = syntheticPairs({ component: "qa", prefer: "copied", count: 150, seed: "held-out" });
  const report = await m.train(train, { epochs: 6, validation: heldOut });
  const last = report.epochs.at(-1)!;
  assert.ok(last.validation!.accuracy > 0.9, `held-out accuracy ${last.validation!.accuracy}`);
  assert.equal(report.epochs.length, 6);
  m.dispose();
});

test("heads are separate: two components with opposite preferences and one shared trunk are both learned", async () => {
  // Same description, same kind of data, opposite labels: only the heads can tell them apart.
  const heads: RewardHead[] = [{ name: "extract", description: "Answers." }, { name: "paraphrase", description: "Answers." }];
  const m = await model(heads);
  const train = [
    ...syntheticPairs({ component: "extract", prefer: "copied", count: 120, seed: "a" }),
    ...syntheticPairs({ component: "paraphrase", prefer: "novel", count: 120, seed: "b" }),
  ];
  const heldOut = [
    ...syntheticPairs({ component: "extract", prefer: "copied", count: 100, seed: "c" }),
    ...syntheticPairs({ component: "paraphrase", prefer: "novel", count: 100, seed: "d" }),
  ];
  await m.train(train, { epochs: 8 });
  const acc = await m.pairAccuracy(heldOut);
  assert.ok(acc.perComponent.extract!.accuracy > 0.9, JSON.stringify(acc));
  assert.ok(acc.perComponent.paraphrase!.accuracy > 0.9, JSON.stringify(acc));
  assert.equal(acc.perComponent.extract!.pairs, 100);

  // The same (inputs, output) gets opposite-signed preferences from the two heads.
  const p = heldOut[0]!;
  const [copiedByExtract, freshByExtract, copiedByParaphrase, freshByParaphrase] = await m.score([
    { component: "extract", description: "Answers.", inputs: p.inputs, outputs: p.chosen },
    { component: "extract", description: "Answers.", inputs: p.inputs, outputs: p.rejected },
    { component: "paraphrase", description: "Answers.", inputs: p.inputs, outputs: p.chosen },
    { component: "paraphrase", description: "Answers.", inputs: p.inputs, outputs: p.rejected },
  ]);
  assert.ok(copiedByExtract! > freshByExtract! && copiedByParaphrase! < freshByParaphrase!);
  m.dispose();
});

test("a constant-margin pair set (every pair 1 vs 0) trains with finite loss under the guarded minmax", async () => {
  const m = await model();
  const pairs = syntheticPairs({ component: "qa", prefer: "marker", count: 64, seed: "binary", scores: "binary" });
  const report = await m.train(pairs, { epochs: 3, marginMode: "minmax" });
  assert.ok(report.epochs.every((e) => Number.isFinite(e.loss) && e.loss > 0), JSON.stringify(report.epochs));
  assert.ok(report.epochs.at(-1)!.loss < report.epochs[0]!.loss);
  assert.ok((await m.score(rowsOf(pairs.slice(0, 4)))).every(Number.isFinite));
  m.dispose();
});

test("pairs with non-finite scores or no preference are filtered before training", async () => {
  const m = await model();
  const good = syntheticPairs({ component: "qa", prefer: "marker", count: 40, seed: "good", scores: "graded" });
  const broken = good.slice(0, 4).map((p, i) => ({ ...p, scoreChosen: [NaN, Infinity, 1, 0.3][i]!, scoreRejected: [0, 0, -Infinity, 0.3][i]! }));
  const report = await m.train([...good, ...broken], { epochs: 2, marginMode: "raw" });
  assert.deepEqual(report.dropped, { nonFinite: 3, notPreferred: 1 });
  assert.equal(report.pairs, 40);
  assert.ok(report.epochs.every((e) => Number.isFinite(e.loss)));
  assert.ok((await m.score(rowsOf(good.slice(0, 2)))).every(Number.isFinite));
  m.dispose();
});

test("same seed gives identical scores before and after training; another seed does not", async () => {
  const pairs = syntheticPairs({ component: "qa", prefer: "copied", count: 48, seed: "det" });
  const rows = rowsOf(pairs.slice(0, 6));
  const [a, b, c] = await Promise.all([model([QA], 3), model([QA], 3), model([QA], 4)]);
  assert.deepEqual(await a.score(rows), await b.score(rows));
  assert.notDeepEqual(await a.score(rows), await c.score(rows));
  const ra = await a.train(pairs, { epochs: 2, batchSize: 8 });
  const rb = await b.train(pairs, { epochs: 2, batchSize: 8 });
  assert.deepEqual(ra, rb);
  assert.deepEqual(await a.score(rows), await b.score(rows));
  [a, b, c].forEach((m) => m.dispose());
});

test("save then load gives identical scores, and both continue training identically", async () => {
  const m = await model();
  const pairs = syntheticPairs({ component: "qa", prefer: "marker", count: 48, seed: "save" });
  await m.train(pairs, { epochs: 2 });
  const rows = rowsOf(pairs.slice(0, 5));
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lrf-")), "lrf.json");
  await m.save(file);
  const loaded = await LocalRewardModel.load(file);
  assert.deepEqual(await loaded.score(rows), await m.score(rows));
  assert.deepEqual(loaded.heads, m.heads);
  assert.equal(loaded.backend, "wasm");
  const saved = JSON.parse(fs.readFileSync(file, "utf8"));
  assert.deepEqual(saved.featurizer, { kind: "hashed-ngrams", hashBits: HASH_BITS });
  assert.equal(saved.backend, "wasm");
  assert.deepEqual(saved.weights["trunk.0.kernel"].shape, [new HashedNgramFeaturizer({ hashBits: HASH_BITS }).dim, 32]);

  // The adaptation shuffle continues where the saved model left off.
  const fresh = syntheticPairs({ component: "qa", prefer: "marker", count: 16, seed: "fresh" });
  const r1 = await m.adapt(fresh);
  const r2 = await loaded.adapt(fresh);
  assert.equal(r1.epochs.length, 1, "adapt defaults to one epoch");
  assert.deepEqual(r2, r1);
  assert.deepEqual(await loaded.score(rows), await m.score(rows));
  m.dispose();
  loaded.dispose();
});

test("loading names the file and the broken field", async () => {
  const m = await model();
  const saved = await m.serialize();
  m.dispose();
  await assert.rejects(LocalRewardModel.deserialize({ ...saved, version: 2 as 1 }, { source: "x.json" }), /x\.json: not an optimas-lrf version 1 model/);
  const truncated = { ...saved, weights: { ...saved.weights, "heads.kernel": { shape: [16, 1], values: [1, 2] } } };
  await assert.rejects(LocalRewardModel.deserialize(truncated, { source: "x.json" }), /x\.json: weights\["heads\.kernel"\] must have shape \[16, 1\] and 16 values/);
  await assert.rejects(LocalRewardModel.load("/nonexistent/lrf.json"), /cannot read reward model \/nonexistent\/lrf\.json/);
});

test("train, score, accuracy and serialize leave no tensors behind; dispose frees the weights", async () => {
  const start = tf.memory().numTensors;
  const m = await model();
  const withWeights = tf.memory().numTensors;
  assert.equal(withWeights - start, 2 * HIDDEN.length + 1, "trunk kernels and biases plus the head matrix");
  const pairs = syntheticPairs({ component: "qa", prefer: "marker", count: 40, seed: "leak" });
  await m.train(pairs, { epochs: 2, l2: 1e-4, validation: pairs.slice(0, 10) });
  await m.adapt(pairs.slice(0, 8));
  await m.score(rowsOf(pairs));
  await m.pairAccuracy(pairs);
  await m.serialize();
  assert.equal(tf.memory().numTensors, withWeights);
  m.dispose();
  assert.equal(tf.memory().numTensors, start);
  await assert.rejects(m.score(rowsOf(pairs.slice(0, 1))), /this reward model was disposed/);
});

test("an L2 penalty keeps the weights smaller than unpenalized training", async () => {
  const pairs = syntheticPairs({ component: "qa", prefer: "marker", count: 64, seed: "l2" });
  const norm = async (l2: number) => {
    const m = await model();
    await m.train(pairs, { epochs: 4, l2 });
    const w = (await m.serialize()).weights;
    m.dispose();
    return Object.entries(w).filter(([k]) => k.endsWith("kernel")).reduce((s, [, v]) => s + v.values.reduce((t, x) => t + x * x, 0), 0);
  };
  assert.ok((await norm(0.05)) < (await norm(0)));
});

test("unknown components and bad options are one clear error each", async () => {
  const m = await model();
  const p = syntheticPairs({ component: "ghost", prefer: "marker", count: 1, seed: "g" });
  await assert.rejects(m.train(p), /reward model has no head for component "ghost" \(heads: qa\)/);
  await assert.rejects(m.score(rowsOf(p)), /no head for component "ghost"/);
  await assert.rejects(m.train([], { batchSize: 0 }), /batchSize must be an integer >= 1 \(got 0\)/);
  await assert.rejects(m.train([], { learningRate: -1 }), /learningRate must be a positive number/);
  m.dispose();
  await assert.rejects(LocalRewardModel.create({ heads: [QA, QA], featurizer: new HashedNgramFeaturizer({ hashBits: HASH_BITS }) }), /head "qa" is listed twice/);
  await assert.rejects(LocalRewardModel.create({ heads: [QA], featurizer: new HashedNgramFeaturizer({ hashBits: HASH_BITS }), hidden: [0] }), /hidden must be a non-empty list of positive layer widths/);
});

test("an embedding-featurized model scores, saves and reloads with the same provider", async () => {
  const lm: LM = {
    providerId: "fake-embed",
    chat: async () => {
      throw new Error("no chat");
    },
    embed: async (texts) => texts.map((t) => Array.from({ length: 16 }, (_, i) => Math.sin(t.length * (i + 1)))),
  };
  const m = await LocalRewardModel.create({ heads: [QA], featurizer: new EmbeddingFeaturizer(lm, { embeddingDim: 16 }), hidden: HIDDEN, seed: 1 });
  const pairs = syntheticPairs({ component: "qa", prefer: "copied", count: 32, seed: "emb" });
  await m.train(pairs, { epochs: 2 });
  const rows = rowsOf(pairs.slice(0, 4));
  const saved = await m.serialize();
  assert.deepEqual(saved.featurizer, { kind: "embedding", embeddingDim: 16, providerId: "fake-embed" });
  const loaded = await LocalRewardModel.deserialize(saved, { lm });
  assert.deepEqual(await loaded.score(rows), await m.score(rows));
  m.dispose();
  loaded.dispose();
});
