import { test } from "node:test";
import assert from "node:assert/strict";
import { HashedNgramFeaturizer } from "../src/reward/hashed-featurizer";
import { EmbeddingFeaturizer } from "../src/reward/embedding-featurizer";
import { featurizerFromConfig } from "../src/reward/featurizers";
import { OVERLAP_DIM, OVERLAP_FEATURES, type OverlapFeature } from "../src/reward/overlap";
import { pythonText, rewardText } from "../src/reward/template";
import { charNgrams, fnv1a, words } from "../src/reward/tokens";
import type { RewardInput } from "../src/reward/types";
import type { LM } from "../src/core/lm-types";

const qa = (outputs: RewardInput["outputs"], inputs: RewardInput["inputs"] = { question: "Who wrote Hamlet?", passage: "Hamlet was written by William Shakespeare around 1600." }): RewardInput => ({
  component: "answerer",
  description: "Answers the question from the passage.",
  inputs,
  outputs,
});

const BITS = 8;
const BLOCK = 2 ** BITS;

async function row(input: RewardInput): Promise<Float32Array> {
  return new HashedNgramFeaturizer({ hashBits: BITS }).featurize([input]);
}

function overlap(features: Float32Array, name: OverlapFeature): number {
  return features[2 * BLOCK + OVERLAP_FEATURES.indexOf(name)]!;
}

function l2(values: Float32Array): number {
  return Math.sqrt(values.reduce((s, v) => s + v * v, 0));
}

test("hashed featurizer: layout is [context block][output block][overlap], with each non-empty block unit-length", async () => {
  const f = new HashedNgramFeaturizer({ hashBits: BITS });
  assert.equal(f.dim, 2 * BLOCK + OVERLAP_DIM);
  assert.deepEqual(f.config, { kind: "hashed-ngrams", hashBits: BITS });
  const x = await f.featurize([qa({ answer: "William Shakespeare" }), qa({ answer: "" })]);
  assert.equal(x.length, 2 * f.dim);
  const first = x.subarray(0, f.dim);
  assert.ok(Math.abs(l2(first.subarray(0, BLOCK)) - 1) < 1e-5);
  assert.ok(Math.abs(l2(first.subarray(BLOCK, 2 * BLOCK)) - 1) < 1e-5);
  const emptyOutput = x.subarray(f.dim, 2 * f.dim);
  assert.equal(l2(emptyOutput.subarray(BLOCK, 2 * BLOCK)), 0, "an empty answer has no output n-grams");
  assert.deepEqual(emptyOutput.subarray(0, BLOCK), first.subarray(0, BLOCK), "same inputs give the same context block");
});

test("hashed featurizer is deterministic across instances and independent of batch composition", async () => {
  const a = qa({ answer: "Shakespeare" });
  const b = qa({ answer: "Marlowe" }, { question: "Who wrote Faust?", passage: "Doctor Faustus is a play by Christopher Marlowe." });
  const alone = await new HashedNgramFeaturizer({ hashBits: BITS }).featurize([a]);
  const batched = await new HashedNgramFeaturizer({ hashBits: BITS }).featurize([b, a]);
  assert.deepEqual(Array.from(batched.subarray(alone.length)), Array.from(alone));
  assert.notDeepEqual(Array.from(batched.subarray(0, alone.length)), Array.from(alone));
});

test("the same text hashes to different slots as an input and as an output", async () => {
  const asOutput = await row({ component: "c", description: "", inputs: {}, outputs: { text: "zebra crossing" } });
  const asInput = await row({ component: "c", description: "", inputs: { text: "zebra crossing" }, outputs: {} });
  assert.equal(l2(asOutput.subarray(0, BLOCK)), 0);
  assert.ok(l2(asOutput.subarray(BLOCK, 2 * BLOCK)) > 0);
  assert.ok(l2(asInput.subarray(0, BLOCK)) > 0);
  assert.equal(l2(asInput.subarray(BLOCK, 2 * BLOCK)), 0);
});

test("overlap features respond to how outputs relate to the inputs", async () => {
  const copied = await row(qa({ answer: "William Shakespeare" }));
  const novel = await row(qa({ answer: "Christopher Marlowe" }));
  assert.equal(overlap(copied, "output_tokens_in_inputs"), 1);
  assert.equal(overlap(novel, "output_tokens_in_inputs"), 0);
  assert.equal(overlap(copied, "output_within_an_input"), 1);
  assert.equal(overlap(novel, "output_within_an_input"), 0);
  assert.ok(overlap(copied, "token_jaccard") > overlap(novel, "token_jaccard"));
  assert.ok(overlap(copied, "trigram_jaccard") > overlap(novel, "trigram_jaccard"));

  // Changing only the inputs changes the relation, not the output's own properties.
  const sameAnswerOtherPassage = await row(qa({ answer: "William Shakespeare" }, { question: "Who?", passage: "Nobody knows." }));
  assert.equal(overlap(sameAnswerOtherPassage, "output_tokens_in_inputs"), 0);
  assert.equal(overlap(sameAnswerOtherPassage, "output_log_chars"), overlap(copied, "output_log_chars"));

  const echo = await row(qa({ answer: "Who wrote Hamlet? Shakespeare" }));
  assert.equal(overlap(echo, "an_input_within_output"), 1);
  assert.equal(overlap(copied, "an_input_within_output"), 0);
});

test("overlap features flag empty, structured, numeric and long outputs", async () => {
  const empty = await row(qa({ answer: "  ", reasoning: null }));
  assert.equal(overlap(empty, "output_empty"), 1);
  assert.equal(overlap(empty, "output_empty_fraction"), 1);
  const half = await row(qa({ answer: "Shakespeare", reasoning: "" }));
  assert.equal(overlap(half, "output_empty"), 0);
  assert.equal(overlap(half, "output_empty_fraction"), 0.5);

  const structured = await row(qa({ answer: '{"author": "Shakespeare"}', items: ["a"], year: 1600, text: "not json" }));
  assert.equal(overlap(structured, "output_structured_fraction"), 0.5);
  assert.equal(overlap(structured, "output_numeric_fraction"), 0.25);
  const numericString = await row(qa({ year: " 1600 " }));
  assert.equal(overlap(numericString, "output_numeric_fraction"), 1);

  const short = await row(qa({ answer: "Shakespeare" }));
  const long = await row(qa({ answer: "Shakespeare ".repeat(40) }));
  assert.ok(overlap(long, "output_log_chars") > overlap(short, "output_log_chars"));
  assert.ok(overlap(long, "output_input_length_ratio") > overlap(short, "output_input_length_ratio"));
  assert.ok(overlap(long, "output_distinct_token_ratio") < overlap(short, "output_distinct_token_ratio"));
});

test("tokens: FNV-1a matches the published test vectors, so saved models featurize the same everywhere", () => {
  assert.equal(fnv1a(""), 0x811c9dc5);
  assert.equal(fnv1a("a"), 0xe40c292c);
  assert.equal(fnv1a("hello"), 0x4f9f2cab);
  assert.equal(fnv1a("llo", fnv1a("he")), fnv1a("hello"), "hashing continues from a prefix state");
  assert.deepEqual(words("Élan, vital-2 X"), ["élan", "vital", "2", "x"]);
  assert.deepEqual(charNgrams("cat", 3), [" ca", "cat", "at "]);
  assert.deepEqual(charNgrams("a", 3), [" a "]);
});

test("hashBits outside 4..20 is one clear error", () => {
  assert.throws(() => new HashedNgramFeaturizer({ hashBits: 30 }), /hashBits must be an integer in 4\.\.20 \(got 30\)/);
});

test("reward text follows the template: role, task, inputs in order, outputs, no trailing newline", () => {
  const text = rewardText(qa({ answer: "Shakespeare", confidence: 0.9, sources: ["folio", "é"], final: true, note: null }));
  const lines = text.split("\n");
  assert.match(lines[0]!, /evaluator/);
  assert.equal(lines[1], "Module task: Answers the question from the passage.");
  assert.equal(lines[2], "");
  assert.deepEqual(lines.slice(4, 6), ["- question: Who wrote Hamlet?", "- passage: Hamlet was written by William Shakespeare around 1600."]);
  assert.equal(lines[6], "");
  assert.ok(text.includes('- sources: [\n  "folio",\n  "\\u00e9"\n]'), text);
  assert.ok(text.endsWith("- note: None"));
  assert.ok(text.includes("- final: True") && text.includes("- confidence: 0.9"));
  assert.equal(pythonText(-Infinity), "-inf");
});

function fakeEmbeddingLM(dim: number) {
  const calls: string[][] = [];
  const lm: LM = {
    providerId: "fake-embed",
    chat: async () => {
      throw new Error("no chat here");
    },
    embed: async (texts) => {
      calls.push([...texts]);
      // A deterministic vector per text: character-code sums in `dim` buckets.
      return texts.map((t) => {
        const v = new Array<number>(dim).fill(0);
        for (let i = 0; i < t.length; i++) v[i % dim]! += t.charCodeAt(i);
        return v;
      });
    },
  };
  return { lm, calls };
}

test("embedding featurizer embeds each distinct reward text once and appends the overlap features", async () => {
  const { lm, calls } = fakeEmbeddingLM(8);
  const f = new EmbeddingFeaturizer(lm, { embeddingDim: 8, batchSize: 2 });
  assert.equal(f.dim, 8 + OVERLAP_DIM);
  const a = qa({ answer: "William Shakespeare" });
  const b = qa({ answer: "Marlowe" });
  const c = qa({ answer: "Bacon" });
  const x = await f.featurize([a, b, a, c]);
  assert.deepEqual(calls.map((chunk) => chunk.length), [2, 1], "3 distinct texts in chunks of 2");
  assert.ok(calls[0]![0]!.startsWith(rewardText(a).slice(0, 40)));
  assert.deepEqual(Array.from(x.subarray(0, f.dim)), Array.from(x.subarray(2 * f.dim, 3 * f.dim)));
  assert.ok(Math.abs(l2(x.subarray(0, 8)) - 1) < 1e-5, "embedding part is L2-normalized");
  assert.equal(x[8 + OVERLAP_FEATURES.indexOf("output_tokens_in_inputs")], 1);

  await f.featurize([c, b]);
  assert.equal(calls.length, 2, "cached texts are not embedded again");
  assert.equal(f.cachedTexts, 3);
});

test("embedding featurizer: a vector length other than embeddingDim names the value to set", async () => {
  const { lm } = fakeEmbeddingLM(6);
  const f = new EmbeddingFeaturizer(lm, { embeddingDim: 8 });
  await assert.rejects(f.featurize([qa({ answer: "x" })]), /returned vectors of length 6, but the featurizer was configured with embeddingDim 8; set embeddingDim: 6/);
});

test("featurizers rebuild from their config; an embedding config needs the same provider", () => {
  const hashed = featurizerFromConfig({ kind: "hashed-ngrams", hashBits: 9 });
  assert.equal(hashed.dim, 2 * 512 + OVERLAP_DIM);
  const { lm } = fakeEmbeddingLM(4);
  const config = new EmbeddingFeaturizer(lm, { embeddingDim: 4 }).config;
  assert.equal(featurizerFromConfig(config, { lm }).dim, 4 + OVERLAP_DIM);
  assert.throws(() => featurizerFromConfig(config), /pass \{ lm \} to load it/);
  assert.throws(() => featurizerFromConfig(config, { lm: { ...lm, providerId: "other" } }), /trained on embeddings from fake-embed, but the given LM is other/);
});
