import { test } from "node:test";
import assert from "node:assert/strict";
import type { Component } from "../src/core/component";
import type { Fields } from "../src/core/json";
import { isTrainable } from "../src/core/policy";
import { meanOfRan } from "../src/core/system";
import type { WeightsValue } from "../src/core/variable";
import { retrievalTokens } from "../src/data/text";
import { feedbackRanking } from "../src/lm/sim/skills/amazon";
import { resolveConfig } from "../src/optimas/config";
import { optimizeWeights } from "../src/optimas/optimizers/weights";
import type { LocalReward } from "../src/optimas/local-reward";
import { createRuntime, type Runtime } from "../src/repro/runtime";
import { SESSION_ANALYZER_ARCH, SUMMARY_KEYWORDS } from "../src/systems/amazon/session-analyzer";
import { initialWeights, plackettLuce } from "../src/systems/amazon/scorer";
import { createRng } from "../src/core/random";
import { renderMessages } from "../src/core/signature";
import { OracleStore } from "../src/data/oracle";
import { SimLM } from "../src/lm/sim/simlm";
import { SIMLM_META_MODELS } from "../src/repro/meta-model";

// One runtime (and its loaded data) for the whole file; each test builds what it changes.
const rt = createRuntime({ system: "amazon", world: 0 });
const TEST_SUBSET = rt.data.test.slice(0, 40);

function weightsOf(c: Component): WeightsValue {
  assert.equal(c.variable?.kind, "weights");
  return (c.variable as { value: WeightsValue }).value;
}

/** The same weights with one tensor replaced. */
function withTensor(w: WeightsValue, name: string, data: number[]): WeightsValue {
  return { arch: w.arch, tensors: { ...w.tensors, [name]: { shape: w.tensors[name]!.shape, data } } };
}

test("untrained weights are a pure function of the seed, and both local models are trainable", () => {
  assert.deepEqual(initialWeights(SESSION_ANALYZER_ARCH, "a"), initialWeights(SESSION_ANALYZER_ARCH, "a"));
  assert.notDeepEqual(initialWeights(SESSION_ANALYZER_ARCH, "a").tensors.W, initialWeights(SESSION_ANALYZER_ARCH, "b").tensors.W);
  const system = rt.entry.build(rt.settings);
  assert.deepEqual(system.components.map((c) => c.variable?.kind), ["weights", "weights", "prompt"]);
  assert.ok(isTrainable(system.component("session_analyzer")) && isTrainable(system.component("candidate_profiler")));
});

test("Plackett–Luce picks distinct items; temperature 0 is the greedy order", () => {
  const rng = createRng("pl");
  const picks = plackettLuce([0.1, 2, -1, 0.5], 3, 1, rng);
  assert.equal(new Set(picks).size, 3);
  assert.deepEqual(plackettLuce([0.1, 2, -1, 0.5], 4, 0, rng), [1, 3, 0, 2]);
});

test("local-model samples are deterministic per (seed, example, sample index) and differ across sample indices", async () => {
  const system = rt.entry.build(rt.settings);
  const analyzer = system.component("session_analyzer");
  const example = rt.data.train[0]!;
  const ctx = rt.ctx.withExample(example.id);
  const summary = async (sample: number, seedCtx = ctx): Promise<string> => String((await analyzer.call(example.fields, seedCtx.withSample(sample))).outputs.context);
  assert.equal(await summary(3), await summary(3));
  const distinct = new Set(await Promise.all(Array.from({ length: 12 }, (_, s) => summary(s))));
  assert.ok(distinct.size > 1, "twelve samples at temperature 0.6 were identical");
  const words = (await summary(0)).replace(/^[^:]*:\s*/, "").replace(/\.$/, "").split(", ");
  assert.equal(words.length, SUMMARY_KEYWORDS);
  const sessionWords = new Set(retrievalTokens(String(example.fields.sequence)));
  assert.ok(words.every((w) => sessionWords.has(w)), "the summary is extracted from the session's titles");
});

test("the profiler writes one ranked line per candidate, in the form the decider's skill reads", async () => {
  const system = rt.entry.build(rt.settings);
  const example = rt.data.test[0]!;
  const ctx = rt.ctx.withExample(example.id);
  const { outputs: summary } = await system.component("session_analyzer").call(example.fields, ctx);
  const { outputs } = await system.component("candidate_profiler").call({ ...example.fields, ...summary }, ctx);
  const lines = String(outputs.feedback).split("\n");
  assert.equal(lines.length, (example.fields.choices as string[]).length);
  assert.deepEqual([...feedbackRanking(String(outputs.feedback))].sort(), [0, 1, 2, 3]);
});

test("the decider's evidence rewards feedback that ranks the gold item first; it answers the favoured index", () => {
  const store = new OracleStore();
  rt.entry.registerOracles(store, rt.settings);
  const sim = new SimLM({ world: 0, oracles: store });
  const example = rt.data.test[0]!;
  const gold = Number(example.fields.gd_answer);
  const feedback = (first: number): string =>
    [0, 1, 2, 3].map((i) => `Item ${i}: rank ${i === first ? 1 : i < first ? i + 2 : i + 1} of 4, some verdict.`).join("\n");
  const assess = (first: number, sample: number) =>
    sim.assess(
      {
        model: "sim-m",
        messages: renderMessages({ instruction: "Choose.", inputs: [{ name: "context" }, { name: "feedback" }], outputs: [{ name: "answer" }] }, { context: "c", feedback: feedback(first) }),
        temperature: 1,
        sampleIndex: sample,
      },
      { skill: "amazon.decide", exampleId: example.id },
    )!;
  const wrong = (gold + 1) % 4;
  assert.equal(feedbackRanking(feedback(wrong))[0], wrong);
  assert.ok(assess(gold, 0).evidence > assess(wrong, 0).evidence);
  const good = Array.from({ length: 30 }, (_, s) => assess(wrong, s)).find((a) => a.outcome === "good")!;
  assert.equal(good.outputs.answer, String(wrong));
});

test("weights of another architecture are refused with one line naming the component", async () => {
  const profiler = rt.entry.build(rt.settings).component("candidate_profiler");
  assert.ok(isTrainable(profiler));
  const foreign = initialWeights(SESSION_ANALYZER_ARCH, "x");
  await assert.rejects(profiler.policyFrom(foreign), /component "candidate_profiler": weights are for architecture "amazon.session-analyzer@1"/);
  const truncated = withTensor(weightsOf(profiler), "W", [1, 2]);
  await assert.rejects(profiler.policyFrom(truncated), /weights tensor "W" must have shape \[6,8\]/);
});

test("the Optimas weights optimizer (REINFORCE) trains the session analyzer toward what its reward prefers", async () => {
  const system = rt.entry.build(rt.settings);
  const analyzer = system.component("session_analyzer");
  // A stand-in local reward: the share of summary words that occur in the gold next item's title.
  const gold = new Map(rt.data.train.map((e) => [String(e.fields.sequence), new Set(retrievalTokens((e.fields.choices as string[])[Number(e.fields.gd_answer)]!))]));
  const reward: LocalReward = {
    kind: "lrf",
    score: async (_c, rows) =>
      rows.map((r) => {
        const words = retrievalTokens(String(r.outputs.context)).filter((w) => w !== "user" && w !== "browsing");
        const target = gold.get(String(r.inputs.sequence))!;
        return words.filter((w) => target.has(w)).length / Math.max(1, words.length);
      }),
  };
  const rows = rt.data.train.slice(0, 10).map((example) => ({ example, inputs: { sequence: example.fields.sequence! } as Fields }));
  const config = resolveConfig("quick", SIMLM_META_MODELS, { policyEpochs: 12, policySamples: 4, policyLearningRate: 0.1 });
  const result = await optimizeWeights({ system, component: analyzer, rows, reward, ctx: rt.ctx, config, round: 0 });
  const scores = result.candidates.map((c) => c.score);
  const firstHalf = scores.slice(0, 6).reduce((a, b) => a + b, 0);
  const secondHalf = scores.slice(6).reduce((a, b) => a + b, 0);
  assert.ok(secondHalf > firstHalf, `mean reward per epoch did not rise: ${scores.map((s) => s.toFixed(3)).join(" ")}`);
  assert.notDeepEqual(result.variable, analyzer.variable);
});

/** Per-example scores on the test subset (a changed variable must change some example's outcome). */
async function testScores(change: (system: Runtime["system"]) => void): Promise<(number | null)[]> {
  const system = rt.entry.build(rt.settings);
  change(system);
  return (await system.evaluate(TEST_SUBSET, rt.ctx)).perExample;
}

const mean = (xs: readonly (number | null)[]): number => meanOfRan(xs);

test("each optimizable variable of the Amazon system changes its score", async () => {
  const base = await testScores(() => undefined);
  // Negated base weights make the analyzer prefer the rarest, oldest words of the session.
  const analyzer = await testScores((s) => {
    const w = weightsOf(s.component("session_analyzer"));
    s.component("session_analyzer").update({ kind: "weights", value: withTensor(w, "w", w.tensors.w!.data.map((x) => -x)) });
  });
  const profiler = await testScores((s) => {
    const w = weightsOf(s.component("candidate_profiler"));
    s.component("candidate_profiler").update({ kind: "weights", value: withTensor(w, "w", w.tensors.w!.data.map((x) => -x)) });
  });
  const prompt = await testScores((s) =>
    s.component("next_item_decider").update({ kind: "prompt", instruction: "Pick an item. Be creative. Think outside the box. Use a friendly tone. Write in a professional register." }),
  );
  assert.notDeepEqual(analyzer, base);
  assert.notDeepEqual(profiler, base);
  assert.notDeepEqual(prompt, base);
  assert.ok(mean(profiler) < mean(base), `a profiler that ranks the worst fit first should not score better (${mean(profiler)} vs ${mean(base)})`);
});

test("an evaluation is deterministic for a seed and world", async () => {
  assert.deepEqual(await testScores(() => undefined), await testScores(() => undefined));
});
