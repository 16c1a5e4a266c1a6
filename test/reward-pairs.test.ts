import { test } from "node:test";
import assert from "node:assert/strict";
import { marginWeights, pairCredit, usablePairs } from "../src/reward/pairs";
import { SYNTHETIC_MARKER, syntheticPairs } from "../src/reward/synthetic";
import type { PreferencePair } from "../src/reward/types";

const pair = (scoreChosen: number, scoreRejected: number): PreferencePair => ({
  component: "c",
  inputs: { q: "x" },
  chosen: { a: "good" },
  rejected: { a: "bad" },
  scoreChosen,
  scoreRejected,
});

test("pairs with non-finite scores or no preference are dropped and counted", () => {
  const { pairs, dropped } = usablePairs([pair(1, 0), pair(NaN, 0), pair(1, -Infinity), pair(Infinity, 0), pair(0.5, 0.5), pair(0.2, 0.7), pair(0.9, 0.1)]);
  assert.deepEqual(pairs.map((p) => [p.scoreChosen, p.scoreRejected]), [[1, 0], [0.9, 0.1]]);
  assert.deepEqual(dropped, { nonFinite: 3, notPreferred: 2 });
});

test("minmax margins follow the reference's normalization: the smallest gap weighs 0, the largest 1", () => {
  const w = marginWeights([pair(1, 0), pair(0.6, 0.4), pair(0.8, 0.2)], "minmax");
  assert.deepEqual(Array.from(w).map((x) => Number(x.toFixed(6))), [1, 0, 0.5]);
});

test("equal margins (every pair 1 vs 0) weigh 1 under minmax instead of the reference's 0/0 = NaN", () => {
  const w = marginWeights([pair(1, 0), pair(1, 0), pair(1, 0)], "minmax");
  assert.deepEqual(Array.from(w), [1, 1, 1]);
  assert.deepEqual(Array.from(marginWeights([pair(0.7, 0.2)], "minmax")), [1]);
});

test("raw margins are the score gaps; none weighs every pair 1; an unknown mode is an error", () => {
  assert.deepEqual(Array.from(marginWeights([pair(1, 0.75), pair(0.5, 0)], "raw")), [0.25, 0.5]);
  assert.deepEqual(Array.from(marginWeights([pair(1, 0.75), pair(0.5, 0)], "none")), [1, 1]);
  assert.throws(() => marginWeights([pair(1, 0)], "softmax" as never), /unknown marginMode "softmax"/);
});

test("pair credit: chosen ahead 1, tie 0.5, behind 0", () => {
  assert.deepEqual([pairCredit(2, 1), pairCredit(1, 1), pairCredit(0, 1)], [1, 0.5, 0]);
});

test("synthetic pairs are reproducible from their seed and carry the promised property", () => {
  const a = syntheticPairs({ component: "qa", prefer: "marker", count: 20, seed: "s" });
  assert.deepEqual(syntheticPairs({ component: "qa", prefer: "marker", count: 20, seed: "s" }), a);
  assert.notDeepEqual(syntheticPairs({ component: "qa", prefer: "marker", count: 20, seed: "t" }), a);
  for (const p of a) {
    assert.ok(String(p.chosen.answer).includes(SYNTHETIC_MARKER));
    assert.ok(!String(p.rejected.answer).includes(SYNTHETIC_MARKER));
  }
  const passageWords = (p: PreferencePair) => new Set(String(p.inputs.passage).split(" "));
  for (const p of syntheticPairs({ component: "qa", prefer: "copied", count: 20, seed: "s", scores: "graded" })) {
    assert.ok(String(p.chosen.answer).split(" ").every((w) => passageWords(p).has(w)));
    assert.ok(String(p.rejected.answer).split(" ").every((w) => !passageWords(p).has(w)));
    assert.ok(p.scoreChosen > p.scoreRejected);
  }
});
