import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { BaselineHistory } from "../src/baselines/session";
import { Component, FunctionComponent, type CallEnv } from "../src/core/component";
import { RunContext } from "../src/core/context";
import type { Fields, Json } from "../src/core/json";
import type { MethodOutcome } from "../src/core/method";
import type { Policy, TrainableComponent } from "../src/core/policy";
import type { Rng } from "../src/core/random";
import { RunDir } from "../src/core/run-dir";
import { CompoundSystem, type Example, type StateDict } from "../src/core/system";
import type { WeightsValue } from "../src/core/variable";
import { Budget, type BudgetCaps } from "../src/core/budget";
import type { LM } from "../src/core/lm-types";
import { getMethod } from "../src/repro/methods";
import { SIMLM_META_MODELS } from "../src/repro/meta-model";

/**
 * The `weights` paths of the baselines (REINFORCE, and behaviour cloning of a local model) on a
 * two-component system whose first component is a tabular softmax policy over four labels — a
 * trainable local model small enough to need no TensorFlow.js — and whose metric rewards one label.
 */

const LABELS = 4;

function weightsOf(logits: readonly number[]): WeightsValue {
  return { arch: "test.tabular@1", tensors: { logits: { shape: [LABELS], data: [...logits] } } };
}

function softmax(logits: readonly number[]): number[] {
  const top = Math.max(...logits);
  const e = logits.map((l) => Math.exp(l - top));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / total);
}

function drawIndex(p: readonly number[], u: number): number {
  let r = u;
  for (let i = 0; i < p.length; i++) if ((r -= p[i]!) < 0) return i;
  return p.length - 1;
}

class TabularPolicy implements Policy {
  constructor(private logits: number[]) {}
  sample(_inputs: Fields, rng: Rng): { outputs: Fields; action: Json } {
    const action = drawIndex(softmax(this.logits), rng());
    return { outputs: { label: String(action) }, action };
  }
  async reinforce(batch: readonly { inputs: Fields; action: Json; advantage: number }[], learningRate: number): Promise<number> {
    const p = softmax(this.logits);
    const grad = new Array<number>(LABELS).fill(0);
    let loss = 0;
    for (const { action, advantage } of batch) {
      const a = Number(action);
      loss -= advantage * Math.log(p[a]!);
      for (let j = 0; j < LABELS; j++) grad[j]! += advantage * ((j === a ? 1 : 0) - p[j]!);
    }
    this.logits = this.logits.map((l, j) => l + learningRate * grad[j]!);
    return loss / batch.length;
  }
  weights(): WeightsValue {
    return weightsOf(this.logits);
  }
  dispose(): void {}
}

class TabularPicker extends Component implements TrainableComponent {
  constructor() {
    super({ name: "picker", description: "picks one of four labels", inputFields: ["question"], outputFields: ["label"], variable: { kind: "weights", value: weightsOf([0, 0, 0, 0]) } });
  }
  protected async forward(_inputs: Fields, env: CallEnv): Promise<Fields> {
    if (env.variable?.kind !== "weights") throw new Error("picker expects weights");
    const rng = env.ctx.rng(`picker/${env.ctx.exampleId}/${env.ctx.sampleIndex}`);
    return { label: String(drawIndex(softmax(env.variable.value.tensors.logits!.data), rng())) };
  }
  async policyFrom(weights: WeightsValue): Promise<Policy> {
    return new TabularPolicy([...weights.tensors.logits!.data]);
  }
}

function buildSystem(): CompoundSystem {
  const formatter = new FunctionComponent({ name: "formatter", description: "names the label", inputFields: ["label"], outputFields: ["answer"] }, (inputs) => ({ answer: `label-${inputs.label}` }));
  return new CompoundSystem({ name: "tabular", components: [new TabularPicker(), formatter], metric: (prediction, example) => (prediction.answer === `label-${example.fields.target}` ? 1 : 0) });
}

const examples = (split: string, n: number): Example[] => Array.from({ length: n }, (_, i) => ({ id: `tabular/${split}/${i}`, fields: { question: `question ${i}`, target: "2" } }));
const noLM: LM = {
  providerId: "none",
  chat: () => Promise.reject(new Error("this system calls no LM")),
  embed: () => Promise.reject(new Error("this system calls no LM")),
};

async function run(id: string, caps: BudgetCaps): Promise<{ outcome: MethodOutcome; state: StateDict; history: BaselineHistory; budget: Budget }> {
  const system = buildSystem();
  const budget = new Budget(caps);
  const runDir = new RunDir(fs.mkdtempSync(path.join(os.tmpdir(), `baseline-policy-${id}-`)));
  const outcome = await getMethod(id).run({ system, train: examples("train", 30), val: examples("val", 20), ctx: new RunContext({ lm: noLM, seed: 7, budget }), preset: "quick", options: getMethod(id).resolveOptions("quick", {}), models: SIMLM_META_MODELS, runDir, log: () => undefined });
  return { outcome, state: system.stateDict(), history: runDir.read<BaselineHistory>("history.json", "history"), budget };
}

const CAPS = { systemRuns: 2000 };
const initial = () => buildSystem().stateDict();

test("only REINFORCE and behaviour cloning apply to a system whose only variable is a local model's weights", () => {
  const system = buildSystem();
  for (const id of ["reinforce", "hbc", "unoptimized"]) assert.equal(getMethod(id).notApplicable(system), null, id);
  for (const id of ["llmselector", "textgrad", "mipro", "mipro-demos", "opro"]) assert.equal(typeof getMethod(id).notApplicable(system), "string", id);
});

for (const id of ["reinforce", "hbc"]) {
  test(`${id} trains the local model's policy with the global reward, within the budget, the same way twice`, async () => {
    const a = await run(id, CAPS);
    assert.equal(a.outcome.status, "finished");
    assert.ok(a.budget.spent.systemRuns <= CAPS.systemRuns);
    assert.ok(a.outcome.iterations > 0);
    const gates = a.history.steps.filter((s) => s.valAfter !== undefined);
    assert.equal(gates.length, 1, "one validation gate for the one trainable component");
    assert.equal(a.outcome.accepted, gates[0]!.accepted ? 1 : 0);
    // The state is the trained policy exactly when the gate accepted it.
    if (a.outcome.accepted === 1) assert.notDeepEqual(a.state, initial());
    else assert.deepEqual(a.state, initial());
    assert.ok(a.outcome.valAfter! >= a.outcome.valBefore!);

    const b = await run(id, CAPS);
    assert.deepEqual(b.state, a.state);
    assert.deepEqual(b.history, a.history);
  });
}

test("REINFORCE's updates follow the global reward: epochs record rewards and losses of real policy steps", async () => {
  const { history } = await run("reinforce", CAPS);
  const epochs = history.steps.filter((s) => s.component === "picker");
  assert.ok(epochs.length > 1);
  for (const e of epochs) {
    assert.ok(typeof e.meanReward === "number" && e.meanReward >= 0 && e.meanReward <= 1);
    assert.equal(typeof e.loss, "number");
  }
});

test("a budget cap during REINFORCE training stops cleanly at the last validated state", async () => {
  const caps = { systemRuns: 120 };
  const { outcome, state, history, budget } = await run("reinforce", caps);
  assert.equal(outcome.status, "budget");
  assert.equal(history.status, "budget");
  assert.ok(budget.spent.systemRuns <= caps.systemRuns);
  assert.deepEqual(state, initial());
});
