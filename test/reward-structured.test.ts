import { test } from "node:test";
import assert from "node:assert/strict";
import { StructuredNgramFeaturizer, STRUCTURED_FEATURIZER_VERSION } from "../src/reward/structured-featurizer";
import { HashedNgramFeaturizer } from "../src/reward/hashed-featurizer";
import { defaultFeaturizer, featurizerFromConfig } from "../src/reward/featurizers";
import { LocalRewardModel } from "../src/reward/lrf";
import { OVERLAP_DIM } from "../src/reward/overlap";
import { candidateProfilerTask } from "../src/systems/amazon/candidate-profiler";
import type { RewardInput } from "../src/reward/types";

const BITS = 8;
const OUT = 2 ** BITS;
const SIDE = 2 ** (BITS - 1);
/** Row layout: [context: SIDE][outputs: OUT][input×output: SIDE][overlap]. */
const blocks = (row: Float32Array) => ({
  context: Array.from(row.subarray(0, SIDE)),
  outputs: Array.from(row.subarray(SIDE, SIDE + OUT)),
  cooccurrence: Array.from(row.subarray(SIDE + OUT, 2 * SIDE + OUT)),
});
const l2 = (xs: readonly number[]) => Math.sqrt(xs.reduce((s, v) => s + v * v, 0));

const featurizer = new StructuredNgramFeaturizer({ hashBits: BITS });
const row = async (input: RewardInput) => featurizer.featurize([input]);

/** The candidate profiler's real feedback for one ranking of four candidates (most likely first). */
function amazonFeedback(ranking: number[]): RewardInput {
  const inputs = {
    context: "The user is browsing for: trail, running, shoes, waterproof, mens, gore, tex, size.",
    choices: ["Trail running shoes waterproof mens", "Ceramic coffee mug 12 oz", "Gore-Tex hiking boots mens", "Running socks size 10"],
  };
  const { items } = candidateProfilerTask.featurize(inputs);
  const outputs = candidateProfilerTask.render(inputs, items, ranking);
  return { component: "candidate_profiler", description: "Scores how well each candidate fits the session summary.", inputs, outputs };
}

test("Amazon feedback for rankings [0,1,2,3] and [3,2,1,0]: one bag of words, different structured vectors", async () => {
  const forward = amazonFeedback([0, 1, 2, 3]);
  const reversed = amazonFeedback([3, 2, 1, 0]);
  assert.notEqual(forward.outputs.feedback, reversed.outputs.feedback);
  // The premise: the hashed bag of words and bigrams cannot tell the two apart.
  const hashed = new HashedNgramFeaturizer({ hashBits: BITS });
  assert.deepEqual(Array.from(await hashed.featurize([forward])), Array.from(await hashed.featurize([reversed])));
  const a = blocks(await row(forward));
  const b = blocks(await row(reversed));
  assert.notDeepEqual(a.outputs, b.outputs);
  assert.deepEqual(a.context, b.context, "same inputs, same context block");
});

test("structured featurizer: layout, config and unit-length blocks", async () => {
  assert.equal(featurizer.dim, OUT + 2 * SIDE + OVERLAP_DIM);
  assert.deepEqual(featurizer.config, { kind: "structured-ngrams", version: STRUCTURED_FEATURIZER_VERSION, hashBits: BITS });
  assert.equal(new StructuredNgramFeaturizer().dim, new HashedNgramFeaturizer().dim, "the default keeps the old default's width");
  const b = blocks(await row(amazonFeedback([0, 1, 2, 3])));
  for (const [name, block] of Object.entries(b)) assert.ok(Math.abs(l2(block) - 1) < 1e-5, `${name} block is unit length`);
  assert.throws(() => new StructuredNgramFeaturizer({ hashBits: 3 }), /hashBits must be an integer in 4\.\.20 \(got 3\)/);
});

test("n-grams are namespaced per line and per field: moving a line or renaming a field changes the vector", async () => {
  const base = { component: "c", description: "", inputs: {} };
  const order = async (text: string) => blocks(await row({ ...base, outputs: { answer: text } })).outputs;
  // Same lines, same words, same adjacent pairs within each line: only their positions differ.
  assert.notDeepEqual(await order("alpha beta\ngamma delta"), await order("gamma delta\nalpha beta"));
  // A list is one element per line, so its order is seen too.
  const list = async (xs: string[]) => blocks(await row({ ...base, outputs: { ranked: xs } })).outputs;
  assert.notDeepEqual(await list(["apple", "pear"]), await list(["pear", "apple"]));
  const field = async (name: string) => blocks(await row({ ...base, outputs: { [name]: "same text" } })).outputs;
  assert.notDeepEqual(await field("answer"), await field("rationale"));
  // Past bigrams: these two have the same words and the same bigrams (ab, ba, ac, ca), not the same trigrams.
  assert.notDeepEqual(await order("a b a c a"), await order("a c a b a"));
});

test("co-occurrence features: present when inputs and outputs share words, and they follow the inputs", async () => {
  const outputs = { answer: "William Shakespeare wrote it" };
  const ask = (question: string): RewardInput => ({ component: "qa", description: "Answers.", inputs: { question }, outputs });
  const shakespeare = blocks(await row(ask("Did William Shakespeare write Hamlet?")));
  const marlowe = blocks(await row(ask("Who wrote Doctor Faustus?")));
  assert.ok(l2(shakespeare.cooccurrence) > 0);
  assert.notDeepEqual(shakespeare.cooccurrence, marlowe.cooccurrence, "same outputs, other inputs: other co-occurrences");
  const noInputs = blocks(await row({ component: "qa", description: "Answers.", inputs: {}, outputs }));
  assert.equal(l2(noInputs.cooccurrence), 0, "without inputs there is nothing to co-occur with");
});

test("structured featurizer is deterministic across instances and independent of batch composition", async () => {
  const a = amazonFeedback([2, 0, 3, 1]);
  const b = amazonFeedback([1, 3, 0, 2]);
  const alone = await new StructuredNgramFeaturizer({ hashBits: BITS }).featurize([a]);
  const batched = await new StructuredNgramFeaturizer({ hashBits: BITS }).featurize([b, a]);
  assert.deepEqual(Array.from(batched.subarray(alone.length)), Array.from(alone));
  assert.notDeepEqual(Array.from(batched.subarray(0, alone.length)), Array.from(alone));
});

test("saved configs: old hashed-ngrams keeps its old featurizer, structured-ngrams round-trips, another version is refused", async () => {
  const input = amazonFeedback([0, 1, 2, 3]);
  const old = featurizerFromConfig({ kind: "hashed-ngrams", hashBits: BITS });
  assert.ok(old instanceof HashedNgramFeaturizer);
  assert.deepEqual(Array.from(await old.featurize([input])), Array.from(await new HashedNgramFeaturizer({ hashBits: BITS }).featurize([input])));
  const rebuilt = featurizerFromConfig(featurizer.config);
  assert.deepEqual(Array.from(await rebuilt.featurize([input])), Array.from(await row(input)));
  const next = STRUCTURED_FEATURIZER_VERSION + 1;
  assert.throws(
    () => featurizerFromConfig({ kind: "structured-ngrams", version: next, hashBits: BITS }),
    new RegExp(`features version ${next}, but this build computes version ${STRUCTURED_FEATURIZER_VERSION}; use the optimas-ts release that wrote it or start a new run`),
  );
  assert.deepEqual(defaultFeaturizer().config, { kind: "structured-ngrams", version: STRUCTURED_FEATURIZER_VERSION, hashBits: 11 });
});

test("a reward model on structured features saves and loads with identical scores; an old hashed model still loads as hashed", async () => {
  const heads = [{ name: "candidate_profiler", description: "Ranks candidates." }];
  const inputs = [amazonFeedback([0, 1, 2, 3]), amazonFeedback([3, 2, 1, 0])];
  for (const f of [new StructuredNgramFeaturizer({ hashBits: BITS }), new HashedNgramFeaturizer({ hashBits: BITS })]) {
    const model = await LocalRewardModel.create({ heads, featurizer: f, hidden: [8], seed: 3, backend: "cpu" });
    const saved = await model.serialize();
    const loaded = await LocalRewardModel.deserialize(JSON.parse(JSON.stringify(saved)), { backend: "cpu" });
    try {
      assert.equal(loaded.featurizer.constructor, f.constructor);
      assert.deepEqual(loaded.featurizer.config, f.config);
      assert.deepEqual(await loaded.score(inputs), await model.score(inputs));
    } finally {
      model.dispose();
      loaded.dispose();
    }
  }
});
