import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { LocalRewardModel, type RewardHead, type SavedLocalRewardModel, type SavedLocalRewardModelV1 } from "../src/reward/lrf";
import { decodeFloat32Base64 } from "../src/core/float32-base64";
import { HashedNgramFeaturizer } from "../src/reward/hashed-featurizer";
import { EmbeddingFeaturizer } from "../src/reward/embedding-featurizer";
import { syntheticPairs } from "../src/reward/synthetic";
import type { PreferencePair, RewardInput } from "../src/reward/types";
import type { LM } from "../src/core/lm-types";

// Small hashed blocks and trunk keep every training run here well under a second.
const HASH_BITS = 9;
const HIDDEN = [32, 16];
const QA: RewardHead = { name: "qa", description: "Answers the question from the passage." };

function model(heads: RewardHead[] = [QA], seed = 7): Promise<LocalRewardModel> {
  return LocalRewardModel.create({ heads, featurizer: new HashedNgramFeaturizer({ hashBits: HASH_BITS }), hidden: HIDDEN, seed });
}

/** The model's live weight tensors, read through its private parameter list. */
async function liveWeights(m: LocalRewardModel): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [name, v] of m["parameters"]()) out.set(name, (await v.data()) as Float32Array);
  return out;
}

const decodedWeights = (saved: SavedLocalRewardModel): Record<string, Float32Array> =>
  Object.fromEntries(Object.entries(saved.weights).map(([name, w]) => [name, decodeFloat32Base64(w.base64, w.shape.reduce((a, b) => a * b, 1))]));

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
  assert.equal(saved.version, 2);
  assert.deepEqual(saved.weights["trunk.0.kernel"].shape, [new HashedNgramFeaturizer({ hashBits: HASH_BITS }).dim, 32]);
  assert.equal(saved.weights["trunk.0.kernel"].dtype, "float32");
  assert.equal(typeof saved.weights["trunk.0.kernel"].base64, "string");

  // Bit-exact: the reloaded tensors are the trained ones, value for value.
  const [original, reloaded] = await Promise.all([liveWeights(m), liveWeights(loaded)]);
  assert.deepEqual([...reloaded.keys()], ["trunk.0.kernel", "trunk.0.bias", "trunk.1.kernel", "trunk.1.bias", "heads.kernel"]);
  for (const [name, values] of original) {
    assert.ok(values.some((x) => x !== 0), `${name} was trained away from zero`);
    assert.deepEqual(reloaded.get(name), values, name);
  }

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

test("a version-1 document (weights as JSON number arrays) still loads, scores and re-saves in the compact form", async () => {
  // Hand-built: 4-bit hashed features (47), one hidden layer of 2, one head; dyadic values are exact in float32.
  const featurizer = new HashedNgramFeaturizer({ hashBits: 4 });
  const dim = featurizer.dim;
  const kernel = Array.from({ length: dim * 2 }, (_, i) => ((i % 9) - 4) / 8);
  const old: SavedLocalRewardModelV1 = {
    format: "optimas-lrf",
    version: 1,
    heads: [QA],
    hidden: [2],
    seed: 3,
    trainCalls: 1,
    featurizer: featurizer.config,
    backend: "wasm",
    inputDim: dim,
    weights: {
      "trunk.0.kernel": { shape: [dim, 2], values: kernel },
      "trunk.0.bias": { shape: [2], values: [0.25, -0.5] },
      "heads.kernel": { shape: [2, 1], values: [1.5, -0.75] },
    },
  };
  const loaded = await LocalRewardModel.deserialize(old, { source: "old.json" });
  const weights = await liveWeights(loaded);
  for (const [name, w] of Object.entries(old.weights)) assert.deepEqual(weights.get(name), Float32Array.from(w.values), name);

  // Its scores are the network's forward pass over the old values.
  const rows = rowsOf(syntheticPairs({ component: "qa", prefer: "marker", count: 3, seed: "old" }));
  const features = await featurizer.featurize(rows);
  const expected = rows.map((_, r) => {
    const hidden = [0, 1].map((j) => Math.max(0, old.weights["trunk.0.bias"]!.values[j]! + features.subarray(r * dim, (r + 1) * dim).reduce((s, x, i) => s + x * kernel[i * 2 + j]!, 0)));
    return hidden[0]! * 1.5 + hidden[1]! * -0.75;
  });
  const scores = await loaded.score(rows);
  scores.forEach((s, i) => assert.ok(Math.abs(s - expected[i]!) < 1e-4, `row ${i}: ${s} vs ${expected[i]}`));
  assert.ok(expected.some((e) => e !== 0), "the check is not vacuous");

  // Saved again, it is version 2, holds the same values, and reloads to the same scores and training state.
  const resaved = await loaded.serialize();
  assert.equal(resaved.version, 2);
  assert.equal(resaved.trainCalls, 1);
  for (const [name, w] of Object.entries(decodedWeights(resaved))) assert.deepEqual(w, Float32Array.from(old.weights[name]!.values), name);
  const again = await LocalRewardModel.deserialize(resaved);
  assert.deepEqual(await again.score(rows), scores);
  loaded.dispose();
  again.dispose();
});

test("loading names the file and the broken field", async () => {
  const m = await model();
  const saved = await m.serialize();
  m.dispose();
  const fix = /; restore the file or start a new run$/;
  await assert.rejects(LocalRewardModel.deserialize({ ...saved, version: 3 as 2 }, { source: "x.json" }), /x\.json: not an optimas-lrf model of version 1 or 2 \(format "optimas-lrf", version 3\)/);
  const withHeads = (w: object) => ({ ...saved, weights: { ...saved.weights, "heads.kernel": w } }) as SavedLocalRewardModel;
  const rejects = async (doc: SavedLocalRewardModel | SavedLocalRewardModelV1, message: RegExp) => {
    const err = await LocalRewardModel.deserialize(doc, { source: "x.json" }).then(
      () => assert.fail("loaded"),
      (e: Error) => e,
    );
    assert.match(err.message, message);
    assert.match(err.message, fix);
  };
  const good = saved.weights["heads.kernel"]!;
  await rejects(withHeads({ ...good, base64: `${good.base64.slice(0, -2)}!!` }), /^x\.json: weights\["heads\.kernel"\]\.base64 is not valid base64;/);
  await rejects(withHeads({ ...good, base64: good.base64.slice(0, -24) }), /^x\.json: weights\["heads\.kernel"\]\.base64 holds 48 bytes, but 16 float32 values need 64;/);
  await rejects(withHeads({ ...good, dtype: "float64" }), /^x\.json: weights\["heads\.kernel"\] must be a float32 tensor of shape \[16, 1\] \(found "float64" of shape \[16,1\]\);/);
  await rejects(withHeads({ ...good, shape: [1, 16] }), /weights\["heads\.kernel"\] must be a float32 tensor of shape \[16, 1\] \(found "float32" of shape \[1,16\]\)/);
  const { "trunk.1.bias": _dropped, ...missing } = saved.weights;
  await rejects({ ...saved, weights: missing }, /weights\["trunk\.1\.bias"\] must be a float32 tensor of shape \[16\] \(found none\)/);
  const oldForm: SavedLocalRewardModelV1 = { ...saved, version: 1, weights: Object.fromEntries(Object.entries(decodedWeights(saved)).map(([k, v]) => [k, { shape: saved.weights[k]!.shape, values: Array.from(v) }])) };
  await LocalRewardModel.deserialize(oldForm).then((ok) => ok.dispose());
  await rejects({ ...oldForm, weights: { ...oldForm.weights, "heads.kernel": { shape: [16, 1], values: [1, 2] } } }, /^x\.json: weights\["heads\.kernel"\] must have shape \[16, 1\] and 16 values;/);
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
    const w = decodedWeights(await m.serialize());
    m.dispose();
    return Object.entries(w).filter(([k]) => k.endsWith("kernel")).reduce((s, [, v]) => s + v.reduce((t, x) => t + x * x, 0), 0);
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
