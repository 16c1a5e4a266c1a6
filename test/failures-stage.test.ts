/**
 * A failure is never a score: how one stage (an evaluation, a preference collection) treats a
 * system run that throws — re-run when transient, then counted by cause and left out of the
 * means; fatal when the endpoint fails too often; parse failures a counted, legitimate 0.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { FunctionComponent } from "../src/core/component";
import { RunContext } from "../src/core/context";
import { FatalRunError, MAX_EXHAUSTED_SHARE } from "../src/core/failure";
import { LLMComponent } from "../src/core/llm-component";
import { RUN_RERUNS } from "../src/core/run-failures";
import { CompoundSystem, type Example } from "../src/core/system";
import { Budget, BudgetExceededError } from "../src/core/budget";
import type { ChatMeta, ChatRequest, ChatResponse, LM } from "../src/core/lm-types";
import { collectPreferences } from "../src/optimas/collect";
import { GlobalScorer } from "../src/baselines/scorer";
import { FailureCounts } from "../src/core/failure";
import { roundRollout } from "../src/core/sample-indices";

/** An error as the LM client throws when its retries ran out. */
class ExhaustedError extends Error {
  readonly failureCause = "retries-exhausted";
}

/** An LM whose reply for an example is fixed by the test; it is the "endpoint" stages name. */
function fakeLM(reply: (meta: ChatMeta) => string): LM {
  return {
    providerId: "fake:http://127.0.0.1:9/v1",
    async chat(_request: ChatRequest, meta: ChatMeta = {}): Promise<ChatResponse> {
      return { text: reply(meta), model: "m", usage: { promptTokens: 1, completionTokens: 1 }, costUsd: 0, latencyMs: 0, cached: false };
    },
    async embed(texts: string[]): Promise<number[][]> {
      return texts.map(() => [0]);
    },
  };
}

const examples: Example[] = Array.from({ length: 40 }, (_, i) => ({ id: `ex${i}`, fields: { x: i } }));

/**
 * A one-component system whose run on example `ex<i>` throws `fail(i, attempt)` (attempt counts
 * the runs of that example), else outputs 1 for even i and 0.5 for odd i.
 */
function flakySystem(fail: (i: number, attempt: number) => Error | undefined): { system: CompoundSystem; attempts: Map<number, number> } {
  const attempts = new Map<number, number>();
  const step = new FunctionComponent({ name: "step", description: "", inputFields: ["x"], outputFields: ["y"] }, (inputs) => {
    const i = Number(inputs.x);
    const attempt = (attempts.get(i) ?? 0) + 1;
    attempts.set(i, attempt);
    const err = fail(i, attempt);
    if (err) throw err;
    return { y: i % 2 === 0 ? 1 : 0.5 };
  });
  return { system: new CompoundSystem({ name: "flaky", components: [step], metric: (p) => Number(p.y) }), attempts };
}

const context = (budget = new Budget()) => new RunContext({ lm: fakeLM(() => ""), seed: 0, budget }).withStage("validate");

test("a run that ran out of retries is re-run with the same sample index and charged one system run", async () => {
  const samples: number[] = [];
  const { system, attempts } = flakySystem((i, attempt) => (i === 3 && attempt <= RUN_RERUNS ? new ExhaustedError("retries ran out") : undefined));
  const probe = new FunctionComponent({ name: "probe", description: "", inputFields: ["y"], outputFields: ["z"] }, (inputs, env) => {
    samples.push(env.ctx.sampleIndex);
    return { z: inputs.y! };
  });
  const withProbe = new CompoundSystem({ name: "p", components: [...system.components, probe], metric: (p) => Number(p.z) });
  const budget = new Budget();
  const r = await withProbe.evaluate(examples.slice(0, 4), context(budget).withSample(70));
  assert.equal(attempts.get(3), RUN_RERUNS + 1, "the failing run went again until it passed");
  assert.deepEqual(r.perExample, [1, 0.5, 1, 0.5], "its score is the one a clean run gets");
  assert.equal(r.failures, 0);
  assert.deepEqual(r.failureCounts.toJSON(), { runs: 4, failed: {}, parseFailures: 0, reruns: RUN_RERUNS });
  assert.equal(budget.spent.systemRuns, 4, "a re-run is not another system run");
  assert.deepEqual([...new Set(samples)], [70], "every run, re-runs included, used the stage's sample index");
});

test("exhausted retries on a few runs are counted by cause and left out of the means, not scored 0", async () => {
  // Example 2 (score 1) always fails: 2 of 40 runs (5%, not above the share) over two passes of 20.
  const { system, attempts } = flakySystem((i) => (i === 2 ? new ExhaustedError("retries ran out") : undefined));
  const r = await system.evaluate(examples.slice(0, 20), context(), { repeats: 2 });
  assert.equal(2 / 40 <= MAX_EXHAUSTED_SHARE, true);
  assert.equal(attempts.get(2), 2 * (RUN_RERUNS + 1));
  assert.equal(r.perExample[2], null);
  assert.deepEqual(r.scores.map((pass) => pass[2]), [null, null]);
  // 9 even examples scoring 1 and 10 odd ones scoring 0.5 ran in each pass.
  assert.equal(r.mean, (9 * 1 + 10 * 0.5) / 19);
  assert.equal(r.failures, 2);
  assert.deepEqual(r.failureCounts.failed, { "retries-exhausted": 2 });
  assert.equal(r.failureCounts.clean, false);
  assert.equal(r.failureCounts.runs, 40);
});

test("a tool failure that is not transient is counted once, without re-runs", async () => {
  const toolError = Object.assign(new Error("sandbox crashed"), { failureCause: "tool" });
  const { system, attempts } = flakySystem((i) => (i === 1 ? toolError : undefined));
  const r = await system.evaluate(examples.slice(0, 4), context());
  assert.equal(attempts.get(1), 1);
  assert.deepEqual(r.perExample, [1, null, 1, 0.5]);
  assert.deepEqual(r.failureCounts.toJSON(), { runs: 4, failed: { tool: 1 }, parseFailures: 0, reruns: 0 });
});

test("a stage whose exhausted retries exceed the share is fatal and names the endpoint", async () => {
  // 2 of 20 runs (10%) fail for good.
  const { system } = flakySystem((i) => (i === 4 || i === 5 ? new ExhaustedError("HTTP 503 after 6 attempts") : undefined));
  const err = await system.evaluate(examples.slice(0, 20), context()).then(
    () => assert.fail("the stage should have stopped"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof FatalRunError, String(err));
  assert.equal(err.endpoint, "fake:http://127.0.0.1:9/v1");
  assert.match(err.message, /retries ran out on 2 of 20 system runs of stage "validate", more than 5%.*HTTP 503 after 6 attempts/);
  assert.match(err.fix, /optimas resume/);
});

test("a stage where no run succeeded is fatal, whatever the cause", async () => {
  const { system } = flakySystem(() => new Error("metric server gone"));
  await assert.rejects(system.evaluate(examples.slice(0, 3), context()), (e: unknown) => e instanceof FatalRunError && /every one of its 3 system runs failed.*metric server gone/.test(e.message));
});

test("fatal and budget errors stop the stage at once instead of being counted", async () => {
  const fatal = new FatalRunError("http://127.0.0.1:9/v1", "answered HTTP 401", "check OPENAI_API_KEY");
  const { system, attempts } = flakySystem((i) => (i === 0 ? fatal : undefined));
  await assert.rejects(system.evaluate(examples.slice(0, 4), context(), { concurrency: 1 }), (e) => e === fatal);
  assert.equal(attempts.get(0), 1, "a fatal error is not re-run");
  const budgeted = flakySystem(() => undefined).system;
  await assert.rejects(budgeted.evaluate(examples.slice(0, 4), context(new Budget({ systemRuns: 2 }))), BudgetExceededError);
});

test("a reply the parser cannot read scores 0 and is counted as a parse failure, not as a failed run", async () => {
  const answer = new LLMComponent({
    name: "answer",
    description: "answers",
    inputs: [{ name: "x" }],
    outputs: [{ name: "y" }],
    skill: "test",
    instruction: "Answer.",
    config: { temperature: 0 },
  });
  const system = new CompoundSystem({ name: "llm", components: [answer], metric: (p) => (p.y === "yes" ? 1 : 0) });
  // Example ex1's replies carry no output marker.
  const lm = fakeLM((meta) => (meta.exampleId === "ex1" ? "I would rather not say." : "[[ ## y ## ]]\nyes"));
  const r = await system.evaluate(examples.slice(0, 3), new RunContext({ lm, seed: 0 }));
  assert.deepEqual(r.perExample, [1, 0, 1], "the unparsed reply is the model's own 0");
  assert.equal(r.failures, 0);
  assert.deepEqual(r.failureCounts.toJSON(), { runs: 3, failed: {}, parseFailures: 1, reruns: 0 });
  const { trace } = await system.run(examples[1]!, new RunContext({ lm, seed: 0 }));
  assert.equal(trace[0]!.parseFailed, true);
  const clean = await system.run(examples[0]!, new RunContext({ lm, seed: 0 }));
  assert.equal(clean.trace[0]!.parseFailed, undefined);
});

test("preference collection leaves failed rollouts out of a candidate's score and counts them", async () => {
  // Upstream draws k; the second rollout (roundRollout(0, 1)) of ex0's k=2 candidate runs out of retries for good.
  const draw = new FunctionComponent(
    { name: "draw", description: "", inputFields: ["x"], outputFields: ["v"], variable: { kind: "params", value: { k: 1 }, space: { k: [1, 2] } } },
    (_inputs, env) => ({ v: env.variable?.kind === "params" ? Number(env.variable.value.k) : 0 }),
  );
  const finish = new FunctionComponent({ name: "finish", description: "", inputFields: ["x", "v"], outputFields: ["y"] }, (inputs, env) => {
    if (Number(inputs.x) === 0 && Number(inputs.v) === 2 && env.ctx.sampleIndex === roundRollout(0, 1)) throw new ExhaustedError("retries ran out");
    return { y: Number(inputs.v) };
  });
  const system = new CompoundSystem({ name: "c", components: [draw, finish], metric: (p) => Number(p.y) / 2 });
  const budget = new Budget();
  const collection = await collectPreferences(system, "draw", examples.slice(0, 10), new RunContext({ lm: fakeLM(() => ""), seed: 0, budget }), {
    numSamples: 1,
    numRollouts: 2,
    minGap: 0,
    pairRule: "all-ordered",
    groundTruthInjection: false,
    sampleTemperature: null,
    concurrency: 4,
    round: 0,
  });
  const ex0 = collection.examples.find((e) => e.exampleId === "ex0")!;
  const k2 = ex0.candidates.find((c) => c.outputs.v === 2)!;
  assert.equal(k2.score, 1, "the rollout that ran decides the score; the failed one is not a 0 (which would give 0.5)");
  assert.equal(k2.failures, 1);
  for (const e of collection.examples) for (const c of e.candidates) assert.equal(c.score, Number(c.outputs.v) / 2);
  // 10 base runs and 2 rollouts of 2 candidates per example: one failure in 50 runs is under the share
  // (the early check counts against the runs the collection will make, not the few made so far).
  assert.deepEqual(collection.failureCounts.toJSON(), { runs: 50, failed: { "retries-exhausted": 1 }, parseFailures: 0, reruns: RUN_RERUNS });
  // Equal-cost accounting: a rollout re-runs 1 of the 2 components, so it is charged half a run.
  assert.equal(budget.spent.systemRuns, 10 + (40 * 1) / 2);
});

test("a baseline's minibatches are one stage: a failure in a small batch counts against every run so far", async () => {
  // Example 39 always runs out of retries; it comes in the last minibatch of 4, after 36 clean runs.
  const { system } = flakySystem((i) => (i === 39 ? new ExhaustedError("retries ran out") : undefined));
  const counts = new FailureCounts();
  const scorer = new GlobalScorer(system, context(), { sampleIndex: 0, stage: "optimize", concurrency: 4 }, counts);
  for (let b = 0; b < 10; b++) await scorer.evaluate(examples.slice(4 * b, 4 * b + 4));
  assert.deepEqual(counts.toJSON(), { runs: 40, failed: { "retries-exhausted": 1 }, parseFailures: 0, reruns: RUN_RERUNS });
  const last = await scorer.evaluate(examples.slice(36, 40));
  assert.deepEqual(last.perExample, [1, 0.5, 1, null], "remembered, not run again, and still left out");
  // A second failing example early on is two of few runs: fatal.
  const early = new GlobalScorer(flakySystem((i) => (i < 2 ? new ExhaustedError("retries ran out") : undefined)).system, context(), { sampleIndex: 0, stage: "optimize", concurrency: 4 }, new FailureCounts());
  await assert.rejects(early.evaluate(examples.slice(0, 4)), FatalRunError);
});
