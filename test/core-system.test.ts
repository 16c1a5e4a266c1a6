import { test } from "node:test";
import assert from "node:assert/strict";
import { CompoundSystem, type Example } from "../src/core/system";
import { FunctionComponent } from "../src/core/component";
import { RunContext } from "../src/core/context";
import { Budget, BudgetExceededError } from "../src/core/budget";
import type { LM } from "../src/core/lm-types";

const noLM: LM = {
  providerId: "none",
  chat: async () => { throw new Error("no LM in this test"); },
  embed: async () => [],
};

function ctx(seed = 1, budget?: Budget): RunContext {
  return new RunContext({ lm: noLM, seed, budget });
}

// doubler (params: factor) -> adder (prompt: unused) ; final = total
function buildSystem() {
  const doubler = new FunctionComponent(
    { name: "scale", description: "scales x", inputFields: ["x"], outputFields: ["y"], variable: { kind: "params", value: { factor: 2 }, space: { factor: [1, 2, 3] } } },
    (inputs, env) => ({ y: Number(inputs.x) * Number((env.variable as unknown as { value: { factor: number } }).value.factor) }),
  );
  const adder = new FunctionComponent(
    { name: "add", description: "adds offset", inputFields: ["y", "offset"], outputFields: ["total"], config: { bonus: 0 } },
    (inputs, env) => ({ total: Number(inputs.y) + Number(inputs.offset) + Number(env.config.bonus) }),
  );
  return new CompoundSystem({
    name: "arith",
    components: [doubler, adder],
    metric: (pred, ex) => (pred.total === ex.fields.target ? 1 : 0),
  });
}

const examples: Example[] = [
  { id: "arith/test/0", fields: { x: 1, offset: 1, target: 3 } },
  { id: "arith/test/1", fields: { x: 2, offset: 0, target: 4 } },
  { id: "arith/test/2", fields: { x: 3, offset: 1, target: 10 } },
];

test("required inputs are the fields no component produces, in first-read order", () => {
  assert.deepEqual(buildSystem().requiredInputFields, ["x", "offset"]);
});

test("registration order that is not topological is rejected with both component names", () => {
  const a = new FunctionComponent({ name: "a", description: "", inputFields: ["b_out"], outputFields: ["a_out"] }, () => ({ a_out: 1 }));
  const b = new FunctionComponent({ name: "b", description: "", inputFields: ["x"], outputFields: ["b_out"] }, () => ({ b_out: 1 }));
  assert.throws(() => new CompoundSystem({ name: "bad", components: [a, b], metric: () => 0 }), /"a" reads "b_out" from "b", which is registered after it/);
});

test("run returns final outputs from the merged context and a trace of every call", async () => {
  const sys = buildSystem();
  const r = await sys.run(examples[0]!, ctx());
  assert.deepEqual(r.outputs, { total: 3 });
  assert.deepEqual(r.trace.map((t) => t.component), ["scale", "add"]);
  assert.deepEqual(r.trace[0]!.variable, { kind: "params", value: { factor: 2 }, space: { factor: [1, 2, 3] } });
  assert.equal(r.context.y, 2);
});

test("scoped overrides change only calls under the child context", async () => {
  const sys = buildSystem();
  const base = ctx();
  const scoped = base.withOverrides({ scale: { variable: { kind: "params", value: { factor: 3 } } }, add: { config: { bonus: 1 } } });
  const [a, b] = await Promise.all([sys.run(examples[0]!, scoped), sys.run(examples[0]!, base)]);
  assert.equal(a.outputs.total, 1 * 3 + 1 + 1);
  assert.equal(b.outputs.total, 3);
  assert.deepEqual(sys.component("scale").variable, { kind: "params", value: { factor: 2 }, space: { factor: [1, 2, 3] } });
});

test("overrides outside the search space or on unknown config keys are errors", async () => {
  const sys = buildSystem();
  await assert.rejects(sys.run(examples[0]!, ctx().withOverrides({ scale: { variable: { kind: "params", value: { factor: 7 } } } })), /outside its search space/);
  await assert.rejects(sys.run(examples[0]!, ctx().withOverrides({ add: { config: { nope: 1 } } })), /no config key "nope"/);
});

test("evaluate reports per-example scores, mean, std over repeats and a 95% CI", async () => {
  const sys = buildSystem();
  const r = await sys.evaluate(examples, ctx(), { repeats: 2 });
  assert.deepEqual(r.perExample, [1, 1, 0]);
  assert.equal(r.mean, 2 / 3);
  assert.equal(r.std, 0);
  assert.equal(r.n, 3);
  assert.ok(r.ci95 > 0 && r.ci95 < 2);
  assert.equal(r.failures, 0);
});

test("a component that throws is a counted failure, left out of the means (never a 0)", async () => {
  const boom = new FunctionComponent({ name: "boom", description: "", inputFields: ["x"], outputFields: ["total"] }, (i) => {
    if (i.x === 2) throw new Error("kaput");
    return { total: 1 };
  });
  const sys = new CompoundSystem({ name: "b", components: [boom], metric: (p) => Number(p.total) });
  const r = await sys.evaluate(examples, ctx());
  assert.deepEqual(r.perExample, [1, null, 1]);
  assert.equal(r.mean, 1);
  assert.equal(r.failures, 1);
  assert.deepEqual(r.failureCounts.toJSON(), { runs: 3, failed: { error: 1 }, parseFailures: 0, reruns: 0 });
});

test("the budget stops evaluation with a typed error once system runs hit the cap", async () => {
  const sys = buildSystem();
  const budget = new Budget({ systemRuns: 4 });
  await assert.rejects(sys.evaluate(examples, ctx(1, budget), { repeats: 2 }), BudgetExceededError);
  assert.equal(budget.spent.systemRuns, 4);
});

test("stateDict round-trips through JSON into a fresh system", async () => {
  const a = buildSystem();
  a.component("scale").update({ kind: "params", value: { factor: 3 }, space: { factor: [1, 2, 3] } });
  a.component("add").updateConfig({ bonus: 2 });
  const json = JSON.parse(JSON.stringify(a.stateDict()));
  const b = buildSystem();
  b.loadStateDict(json);
  assert.deepEqual(b.stateDict(), a.stateDict());
  assert.equal((await b.run(examples[0]!, ctx())).outputs.total, 3 + 1 + 2);
});

test("seeded streams repeat for the same seed and name and differ otherwise", () => {
  const draw = (c: RunContext, name: string) => Array.from({ length: 5 }, c.rng(name));
  assert.deepEqual(draw(ctx(7), "s"), draw(ctx(7), "s"));
  assert.notDeepEqual(draw(ctx(7), "s"), draw(ctx(8), "s"));
  assert.notDeepEqual(draw(ctx(7), "s"), draw(ctx(7), "t"));
});
