import { test } from "node:test";
import assert from "node:assert/strict";
import { formPairs, type Candidate } from "../src/optimas/collect";
import { expectedGap, selectComponent, type SelectionInput } from "../src/optimas/select";
import { isAligned, wilsonLowerBound } from "../src/optimas/alignment";
import { createRng } from "../src/core/random";
import { Component, type CallEnv } from "../src/core/component";
import type { Fields, Json } from "../src/core/json";
import type { Policy, TrainableComponent } from "../src/core/policy";
import type { WeightsValue } from "../src/core/variable";
import { CompoundSystem } from "../src/core/system";
import { RunContext } from "../src/core/context";
import { optimizeWeights } from "../src/optimas/optimizers/weights";
import { resolveConfig } from "../src/optimas/config";
import type { LocalReward } from "../src/optimas/local-reward";
import { SIMLM_META_MODELS } from "../src/repro/meta-model";
import { demoSets } from "../src/optimas/optimizers/demos";
import type { LocalOptimizerArgs } from "../src/optimas/optimizers/types";
import { noOpStreaks, type IterationRecord } from "../src/optimas/optimize";

/** Selection settings the tests do not vary: no alignment evidence, the default weights. */
const NEUTRAL: Pick<SelectionInput, "lastAccepted" | "alignment" | "scoredExactly" | "alignmentZ" | "exploration" | "explorationTurns" | "atChanceTurns" | "noOpStreak"> = { lastAccepted: {}, alignment: {}, scoredExactly: [], alignmentZ: 1.645, exploration: 0.05, explorationTurns: Infinity, atChanceTurns: {}, noOpStreak: {} };

const cand = (answer: string, score: number): Candidate => ({ outputs: { answer }, score, failures: 0 });

test("every ordered pair above the gap becomes a pair, whichever comes first", () => {
  const cs = [cand("a", 1), cand("b", 0), cand("c", 0.5), cand("d", 0.5)];
  const pairs = formPairs("c1", "ex", { q: "?" }, cs, { minGap: 0, pairRule: "all-ordered" });
  const names = pairs.map((p) => `${p.chosen.answer}>${p.rejected.answer}`).sort();
  assert.deepEqual(names, ["a>b", "a>c", "a>d", "c>b", "d>b"]);
  assert.ok(pairs.every((p) => p.scoreChosen > p.scoreRejected && p.exampleId === "ex"));
});

test("the reference rule keeps only later-listed winners, and minGap filters small gaps", () => {
  const cs = [cand("a", 1), cand("b", 0), cand("c", 0.5)];
  const ref = formPairs("c1", "ex", {}, cs, { minGap: 0, pairRule: "reference-later-wins" });
  assert.deepEqual(ref.map((p) => `${p.chosen.answer}>${p.rejected.answer}`), ["c>b"]);
  const gapped = formPairs("c1", "ex", {}, cs, { minGap: 0.6, pairRule: "all-ordered" });
  assert.deepEqual(gapped.map((p) => `${p.chosen.answer}>${p.rejected.answer}`), ["a>b"]);
});

test("selection cannot lock onto one component: the cooldown forces the others in", () => {
  const components = ["a", "b", "c"];
  // Component a has by far the largest gap; without a cooldown it would win almost every draw.
  const recentGaps = { a: 1, b: 0.1, c: 0 };
  const lastSelected: Record<string, number> = {};
  const picks: string[] = [];
  for (let it = 0; it < 12; it++) {
    const s = selectComponent({ ...NEUTRAL, components, recentGaps, offlineGaps: {}, lastSelected, iteration: it, rule: "fresh-gap", temperature: 0.05, cooldown: 1 }, createRng(`t/${it}`));
    picks.push(s.component);
    lastSelected[s.component] = it;
    assert.ok(Math.abs(Object.values(s.probabilities).reduce((x, y) => x + y, 0) - 1) < 1e-9);
  }
  for (let i = 1; i < picks.length; i++) assert.notEqual(picks[i], picks[i - 1]);
  assert.ok(picks.includes("b") || picks.includes("c"));
});

test("selection follows fresh gaps: a component whose latest expected gap grows gains probability", () => {
  const base = { ...NEUTRAL, components: ["a", "b"], offlineGaps: { a: 0.5, b: 0.5 }, lastSelected: {}, iteration: 0, temperature: 0.25, cooldown: 0 };
  const p = (gapB: number, rule: "fresh-gap" | "reference-offline-gap") => selectComponent({ ...base, rule, recentGaps: { a: 0.5, b: gapB } }, createRng("x")).probabilities.b!;
  assert.ok(p(0.9, "fresh-gap") > p(0.5, "fresh-gap"));
  assert.equal(p(0.9, "reference-offline-gap"), p(0.1, "reference-offline-gap"));
});

test("selection prefers the component whose LRF head is known to beat chance", () => {
  // Equal gaps; a's head ranked 150 of 200 fresh pairs right, b's 100 of 200 (chance).
  const alignment = { a: { credit: 150, pairs: 200 }, b: { credit: 100, pairs: 200 } };
  const input: SelectionInput = { ...NEUTRAL, alignment, components: ["a", "b"], recentGaps: { a: 0.2, b: 0.2 }, offlineGaps: {}, lastSelected: {}, iteration: 0, rule: "aligned-fresh-gap", temperature: 0.25, cooldown: 1 };
  const aligned = selectComponent(input, createRng("s")).probabilities;
  // Weights (lower bound − 0.5 + exploration) : exploration.
  const expected = (wilsonLowerBound(alignment.a, 1.645) - 0.5 + 0.05) / (wilsonLowerBound(alignment.a, 1.645) - 0.5 + 0.1);
  assert.ok(Math.abs(aligned.a! - expected) < 1e-9, `${aligned.a} vs ${expected}`);
  assert.ok(aligned.a! > 0.8);
  // A component scored by the exact metric is trusted as a perfect head.
  assert.ok(selectComponent({ ...input, scoredExactly: ["b"] }, createRng("s")).probabilities.b! > 0.5);
  // Without the alignment weight the two are a coin flip.
  assert.equal(selectComponent({ ...input, rule: "fresh-gap" }, createRng("s")).probabilities.a, 0.5);
});

test("the cooldown does not hand the aligned component's turns to heads at chance", () => {
  const alignment = { a: { credit: 150, pairs: 200 }, b: { credit: 100, pairs: 200 }, c: { credit: 95, pairs: 200 } };
  const input: SelectionInput = { ...NEUTRAL, alignment, components: ["a", "b", "c"], recentGaps: { a: 0.2, b: 0.2, c: 0.2 }, offlineGaps: {}, lastSelected: { a: 4 }, iteration: 5, rule: "aligned-fresh-gap", temperature: 0.25, cooldown: 1 };
  // Rejected last iteration: a stays eligible, since no eligible head is trusted as much.
  assert.ok(selectComponent({ ...input, lastAccepted: { a: false } }, createRng("c")).probabilities.a! > 0.5);
  // The plain rule benches it for an iteration.
  assert.equal(selectComponent({ ...input, rule: "fresh-gap", lastAccepted: { a: false } }, createRng("c")).probabilities.a, 0);
  // Two heads at chance still take turns: b, just rejected, cools while c is eligible.
  const atChance = selectComponent({ ...input, lastSelected: { a: 1, b: 4 }, lastAccepted: { a: true, b: false } }, createRng("c")).probabilities;
  assert.equal(atChance.b, 0);
  assert.ok(atChance.a! > atChance.c!);
});

test("a head still at chance after its exploration turns stops drawing turns; a converged head yields to any weighted one", () => {
  const alignment = { a: { credit: 150, pairs: 200 }, b: { credit: 40, pairs: 80 }, c: { credit: 5, pairs: 10 } };
  const input: SelectionInput = { ...NEUTRAL, alignment, components: ["a", "b", "c"], recentGaps: { a: 0.2, b: 0.2, c: 0.2 }, offlineGaps: {}, lastSelected: {}, iteration: 5, rule: "aligned-fresh-gap", temperature: 0.25, cooldown: 1, explorationTurns: 2, atChanceTurns: { b: 2, c: 1 } };
  const fresh = selectComponent(input, createRng("e")).probabilities;
  assert.equal(fresh.b, 0, "b had its two turns at chance");
  assert.ok(fresh.c! > 0, "c had one: still explored");
  // a proposed nothing on its last two turns (the latest at iteration 4): it cools for 2 iterations and yields to c.
  const converged = selectComponent({ ...input, lastSelected: { a: 4 }, lastAccepted: { a: false }, noOpStreak: { a: 2 } }, createRng("e")).probabilities;
  assert.equal(converged.a, 0);
  assert.equal(converged.c, 1);
  // Rejected (not converged), a keeps its turn against heads at chance, as before.
  assert.ok(selectComponent({ ...input, lastSelected: { a: 4 }, lastAccepted: { a: false } }, createRng("e")).probabilities.a! > 0.5);
  // With nothing else weighted, the converged head keeps polling.
  const alone = selectComponent({ ...input, atChanceTurns: { b: 2, c: 2 }, lastSelected: { a: 4 }, lastAccepted: { a: false }, noOpStreak: { a: 2 } }, createRng("e")).probabilities;
  assert.equal(alone.a, 1);
  // The back-off doubles: after two no-ops the window is 2, so by iteration 7 a is back.
  assert.ok(selectComponent({ ...input, iteration: 7, lastSelected: { a: 4 }, lastAccepted: { a: false }, noOpStreak: { a: 2 } }, createRng("e")).probabilities.a! > 0.5);
});

test("a head is trusted only when its Wilson lower bound is above chance, which takes pairs", () => {
  assert.equal(isAligned({ credit: 24, pairs: 40 }, 1.645), false, "0.60 on 40 pairs is compatible with chance");
  assert.equal(isAligned({ credit: 240, pairs: 400 }, 1.645), true, "0.60 on 400 pairs is not");
  assert.equal(isAligned(undefined, 1.645), false);
  assert.equal(wilsonLowerBound({ credit: 0, pairs: 0 }, 1.645), 0);
  // The bound sits below the point accuracy and rises toward it with more pairs.
  const few = wilsonLowerBound({ credit: 30, pairs: 40 }, 1.645);
  const many = wilsonLowerBound({ credit: 300, pairs: 400 }, 1.645);
  assert.ok(few < many && many < 0.75);
});

test("the expected gap counts ties: candidates that mostly score alike offer little, however large their one gap", () => {
  const ex = (...scores: number[]) => ({ candidates: scores.map((score) => ({ score })) });
  // One untied pair of gap 1 among six pairs: the formed pairs' mean gap would say 1.
  assert.ok(Math.abs(expectedGap([ex(1, 0, 0, 0)]) - 0.5) < 1e-12);
  assert.equal(expectedGap([ex(0.4, 0.4, 0.4), ex(0.7)]), 0, "all alike, or a single distinct candidate");
  assert.ok(Math.abs(expectedGap([ex(1, 0), ex(0.5, 0.5)]) - 0.5) < 1e-12, "the mean over examples");
  assert.equal(expectedGap([]), 0);
});

// A three-action softmax policy over a table of logits, trained by the REINFORCE optimizer.
const ACTIONS = ["a", "b", "c"];
class TablePolicy implements Policy {
  constructor(private logits: number[]) {}
  private probs(): number[] {
    const m = Math.max(...this.logits);
    const e = this.logits.map((l) => Math.exp(l - m));
    const s = e.reduce((x, y) => x + y, 0);
    return e.map((x) => x / s);
  }
  sample(_inputs: Fields, rng: () => number): { outputs: Fields; action: Json } {
    let u = rng();
    const p = this.probs();
    for (let i = 0; i < p.length; i++) if ((u -= p[i]!) < 0) return { outputs: { choice: ACTIONS[i]! }, action: i };
    return { outputs: { choice: ACTIONS[2]! }, action: 2 };
  }
  async reinforce(batch: readonly { action: Json; advantage: number }[], lr: number): Promise<number> {
    const p = this.probs();
    const grad = [0, 0, 0];
    for (const b of batch) for (let k = 0; k < 3; k++) grad[k]! += b.advantage * ((k === b.action ? 1 : 0) - p[k]!);
    this.logits = this.logits.map((l, k) => l + (lr * grad[k]!) / batch.length);
    return 0;
  }
  weights(): WeightsValue {
    return { arch: "table@1", tensors: { logits: { shape: [3], data: [...this.logits] } } };
  }
  dispose(): void {}
}
class TableComponent extends Component implements TrainableComponent {
  async policyFrom(w: WeightsValue): Promise<Policy> {
    return new TablePolicy([...w.tensors.logits!.data]);
  }
  protected async forward(_inputs: Fields, env: CallEnv): Promise<Fields> {
    const logits = (env.variable as { value: WeightsValue }).value.tensors.logits!.data;
    return { choice: ACTIONS[logits.indexOf(Math.max(...logits))]! };
  }
}

test("the weights optimizer moves a policy toward what the local reward prefers", async () => {
  const component = new TableComponent({
    name: "picker",
    description: "picks a letter",
    inputFields: ["x"],
    outputFields: ["choice"],
    variable: { kind: "weights", value: { arch: "table@1", tensors: { logits: { shape: [3], data: [1, 0, 0] } } } },
  });
  const system = new CompoundSystem({ name: "t", components: [component], metric: () => 0 });
  const reward: LocalReward = { kind: "lrf", score: async (_c, rows) => rows.map((r) => (r.outputs.choice === "b" ? 1 : 0)) };
  const ctx = new RunContext({ lm: { providerId: "none", chat: async () => { throw new Error("no LM"); }, embed: async () => [] }, seed: 3 });
  const rows = Array.from({ length: 8 }, (_, i) => ({ example: { id: `t/train/${i}`, fields: { x: i } }, inputs: { x: i } }));
  const before = (await component.call({ x: 0 }, ctx)).outputs.choice;
  const result = await optimizeWeights({ system, component, rows, reward, ctx, config: resolveConfig("quick", SIMLM_META_MODELS, { policyEpochs: 30, policyLearningRate: 1 }), round: 0 });
  component.update(result.variable);
  assert.equal(before, "a");
  assert.equal((await component.call({ x: 0 }, ctx)).outputs.choice, "b");
  assert.ok(result.candidates.at(-1)!.score > result.candidates[0]!.score);
});

test("demonstration sets: the replay buffer's winners ranked by the local reward, reward-0 winners and repeats left out", async () => {
  const pair = (answer: string, scoreChosen: number) => ({ component: "act", inputs: { q: answer }, chosen: { a: answer }, rejected: { a: "x" }, scoreChosen, scoreRejected: 0 });
  const winners = [pair("bb", 1), pair("a", 1), pair("zero", 0), pair("dddd", 0.5), pair("bb", 1), pair("ccc", 1), pair("eeeee", 1)];
  // The stub reward prefers longer answers: the sets follow its ranking, not the buffer's order.
  const reward: LocalReward = { kind: "lrf", score: async (_c, rows) => rows.map((r) => String(r.outputs.a).length) };
  const component = { name: "act" } as Component;
  const config = resolveConfig("quick", SIMLM_META_MODELS, { promptDemos: 2 });
  const sets = await demoSets({ component, reward, config, winners } as unknown as LocalOptimizerArgs);
  assert.deepEqual(sets.map((set) => set.map((d) => d.outputs.a)), [["eeeee", "dddd"], ["ccc", "bb"]]);
  assert.deepEqual(await demoSets({ component, reward, config: { ...config, promptDemos: 0 }, winners } as unknown as LocalOptimizerArgs), []);
});

test("no-op streaks count each component's latest turns in a row that proposed nothing", () => {
  const turn = (component: string, noOp: boolean) => ({ component, ...(noOp ? { validationSkipped: "no-op" as const } : {}) }) as IterationRecord;
  const history = [turn("a", true), turn("a", false), turn("a", true), turn("b", true), turn("a", true), turn("c", false)];
  assert.deepEqual(noOpStreaks(history), { a: 2, b: 1 });
});
