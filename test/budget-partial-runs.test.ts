import { test } from "node:test";
import assert from "node:assert/strict";
import { Budget, BudgetExceededError, SYSTEM_RUN_UNITS } from "../src/core/budget";
import { createRuntime } from "../src/repro/runtime";

/** Equal-cost accounting: a rollout that executes k of a system's n components costs k/n of a system run. */

function toy(budget: Budget) {
  return createRuntime({ system: "toy", backend: "simlm", budget, lm: { cache: "off" } });
}

test("runFrom(i) on a system of n components charges (n − i)/n of a run; a whole run charges 1", async () => {
  const budget = new Budget();
  const rt = toy(budget);
  const n = rt.system.components.length;
  const example = rt.data.train[0]!;
  const full = await rt.system.run(example, rt.ctx);
  assert.equal(budget.spent.systemRuns, 1);
  for (let i = 1; i < n; i++) {
    const before: number = budget.spent.systemRuns;
    const upstream = { ...full.context };
    for (const c of rt.system.components.slice(i)) for (const f of c.outputFields) delete upstream[f];
    await rt.system.runFrom(i, upstream, rt.ctx.withExample(example.id));
    // In units of a run (a difference of floats is not exact): (n − i)/n of SYSTEM_RUN_UNITS.
    assert.equal(Math.round((budget.spent.systemRuns - before) * SYSTEM_RUN_UNITS), ((n - i) * SYSTEM_RUN_UNITS) / n, `runFrom(${i}) of ${n}`);
  }
  assert.throws(() => rt.system.runShare(n), /no component at index/);
});

test("partial runs sum exactly in any order, bind a cap at their share, and restore from a checkpoint", () => {
  const budget = new Budget({ systemRuns: 1 });
  for (let k = 0; k < 3; k++) budget.reserve("systemRuns", 1 / 3);
  assert.equal(budget.spent.systemRuns, 1); // 1/3 + 1/3 + 1/3 in floats is 1 only by luck; units make it exact
  assert.throws(() => budget.reserve("systemRuns", 1 / 3), (err: unknown) => err instanceof BudgetExceededError && err.resource === "systemRuns");
  const child = new Budget().account("optimize");
  const sevenths = Array.from({ length: 10 }, (_, k) => ((k % 6) + 1) / 7);
  for (const s of sevenths) child.reserve("systemRuns", s);
  const reversed = new Budget();
  for (const s of [...sevenths].reverse()) reversed.reserve("systemRuns", s);
  assert.equal(child.spent.systemRuns, reversed.spent.systemRuns);
  const resumed = new Budget();
  resumed.restore(child.spent);
  assert.equal(resumed.spent.systemRuns * SYSTEM_RUN_UNITS, Math.round(child.spent.systemRuns * SYSTEM_RUN_UNITS));
  assert.equal(resumed.spent.systemRuns, child.spent.systemRuns);
});
