import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runBaseline, type BaselineHistory, type BaselineSession, type GateResult, type Patches } from "../src/baselines/session";
import { sharedProtocol } from "../src/baselines/protocol";
import { Budget } from "../src/core/budget";
import { FunctionComponent } from "../src/core/component";
import { RunContext } from "../src/core/context";
import { decide, isNoOp, pooledFrom, pooledScore } from "../src/core/gate";
import type { ChatResponse, LM } from "../src/core/lm-types";
import { RunDir } from "../src/core/run-dir";
import { validationSample } from "../src/core/sample-indices";
import { CompoundSystem, pairedGain, type Example } from "../src/core/system";
import type { Variable } from "../src/core/variable";
import { SIMLM_META_MODELS } from "../src/repro/meta-model";
import { createRuntime } from "../src/repro/runtime";
import { runOptimas, type Checkpoint } from "../src/optimas/optimize";
import { resolveConfig } from "../src/optimas/config";

/** The gate every method shares (core/gate.ts), driven through a baseline session as the baselines drive it. */

const noLM: LM = {
  providerId: "none",
  async chat(): Promise<ChatResponse> {
    throw new Error("the stub system calls no LM");
  },
  async embed(): Promise<number[][]> {
    throw new Error("the stub system calls no LM");
  },
};

const RULE = { acceptTolerance: 0, acceptStdErrors: 0, enabled: true };
const { valRepeats } = sharedProtocol("quick", SIMLM_META_MODELS);

/**
 * A one-component system whose score is `score(instruction, example index, sample index)`: the
 * instruction is the state the gate compares, the sample index the validation pass.
 */
function stubSystem(score: (instruction: string, example: number, sampleIndex: number) => number) {
  const act = new FunctionComponent(
    { name: "act", description: "stub", inputFields: ["i"], outputFields: ["y"], variable: { kind: "prompt", instruction: "incumbent" } },
    (inputs, env) => ({ y: score((env.variable as { instruction: string }).instruction, Number(inputs.i), env.ctx.sampleIndex) }),
  );
  return new CompoundSystem({ name: "stub", components: [act], metric: (outputs) => Number(outputs.y) });
}

/** Runs `body` in a baseline session on the stub system; returns its gate results, history and spend. */
async function inSession(system: CompoundSystem, valSize: number, body: (session: BaselineSession) => Promise<GateResult[]>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gate-"));
  const val: Example[] = Array.from({ length: valSize }, (_, i) => ({ id: `v${i}`, fields: { i } }));
  const budget = new Budget();
  const results: GateResult[] = [];
  let runsBeforeGates = 0;
  const outcome = await runBaseline("gate-test", { system, train: [], val, ctx: new RunContext({ lm: noLM, seed: 0, budget }), preset: "quick", options: {}, models: SIMLM_META_MODELS, runDir: new RunDir(dir), log: () => undefined }, async (session) => {
    runsBeforeGates = budget.spent.systemRuns;
    results.push(...(await body(session)));
  });
  const history = new RunDir(dir).read<BaselineHistory>("history.json", "history");
  fs.rmSync(dir, { recursive: true, force: true });
  return { outcome, results, history, gateRuns: budget.spent.systemRuns - runsBeforeGates, instruction: (system.component("act").variable as { instruction: string }).instruction };
}

const propose = (instruction: string): Patches => ({ act: { kind: "prompt", instruction } });

test("a lucky first validation of the incumbent does not block a truly better candidate", async () => {
  // The incumbent truly scores 0.3; its first validation passes (the session's start) drew 0.8.
  // The candidate scores 0.6 on every pass. The old gate kept 0.8 as the bar and rejected it.
  const luckyUntil = validationSample(valRepeats);
  const system = stubSystem((instruction, _i, sample) => (instruction === "better" ? 0.6 : sample < luckyUntil ? 0.8 : 0.3));
  const { results, instruction, outcome } = await inSession(system, 20, async (session) => [await session.gate(propose("better"))]);
  const [result] = results;
  assert.ok(Math.abs(outcome.valBefore! - 0.8) < 1e-12, "the start drew the lucky passes");
  assert.ok(result!.accepted, `rejected: ${JSON.stringify(result)}`);
  assert.equal(instruction, "better");
  // The incumbent's bar pooled its lucky passes with the fresh ones: (3 × 0.8 + 3 × 0.3) / 6.
  assert.ok(Math.abs(result!.valBefore - (valRepeats * 0.8 + valRepeats * 0.3) / (2 * valRepeats)) < 1e-12);
  assert.ok(Math.abs(result!.valAfter - 0.6) < 1e-12);
  assert.ok("incumbentPasses" in result! && result.incumbentPasses === 2 * valRepeats);
});

test("a candidate measured on the same fresh passes is compared pass for pass: a truly worse one is rejected", async () => {
  // Every pass after the start is low for both states alike; the candidate is 0.1 below the incumbent on each.
  const system = stubSystem((instruction, _i, sample) => (sample < validationSample(valRepeats) ? 0.9 : 0.5) - (instruction === "worse" ? 0.1 : 0));
  const { results, instruction } = await inSession(system, 20, async (session) => [await session.gate(propose("worse"))]);
  assert.equal(results[0]!.accepted, false);
  assert.equal(instruction, "incumbent");
});

test("a candidate clearly worse on its first pass is rejected there, after the incumbent's re-measurement", async () => {
  const system = stubSystem((instruction) => (instruction === "broken" ? 0.1 : 0.6));
  const { results, gateRuns, instruction } = await inSession(system, 20, async (session) => [await session.gate(propose("broken"))]);
  const [result] = results;
  assert.equal(result!.accepted, false);
  assert.equal(instruction, "incumbent");
  assert.ok("earlyRejected" in result! && result.earlyRejected && result.candidatePasses === 1, JSON.stringify(result));
  assert.equal(gateRuns, 20 * (valRepeats + 1), "the incumbent's passes and one of the candidate's; the full gate spends 2 × 3 × 20");
});

test("a candidate within noise of the incumbent runs every pass; the incumbent is re-measured until it pools the cap, then stands", async () => {
  // Half the examples move up by 1, half down: a paired gain of 0, far from "clearly worse".
  const { incumbentPassCap } = sharedProtocol("quick", SIMLM_META_MODELS);
  const system = stubSystem((instruction, i) => (instruction === "shuffled" ? (i + 1) % 2 : i % 2));
  const comparisons = Math.ceil(incumbentPassCap / valRepeats) + 1;
  const { results, gateRuns } = await inSession(system, 20, async (session) => {
    const out: GateResult[] = [];
    for (let k = 0; k < comparisons; k++) out.push(await session.gate(propose("shuffled")));
    return out;
  });
  const pooled = results.map((r) => ("incumbentPasses" in r ? r.incumbentPasses : -1));
  const expected = Array.from({ length: comparisons }, (_, k) => Math.min(incumbentPassCap, valRepeats * (k + 2)));
  assert.deepEqual(pooled, expected);
  assert.ok(results.every((r) => !r.accepted && "candidatePasses" in r && r.candidatePasses === valRepeats && !r.earlyRejected));
  const remeasured = expected.filter((n, k) => n > (k === 0 ? valRepeats : expected[k - 1]!)).length;
  assert.equal(gateRuns, 20 * valRepeats * (comparisons + remeasured));
});

test("a float tie is rejected: [1/3, 2/3] → [0, 1] is no gain", async () => {
  const before = [1 / 3, 2 / 3];
  const after = [0, 1];
  assert.ok(pairedGain(after, before).gain > 0, "float rounding makes the tie look like a gain (what the old gate accepted)");
  const decision = decide(after, before, RULE);
  assert.equal(decision.accepted, false);
  assert.equal(decision.floatTie, true);
  // Through a session: the incumbent scores 1/3 and 2/3 on the two examples, the candidate 0 and 1.
  const system = stubSystem((instruction, i) => (instruction === "tie" ? (i === 0 ? 0 : 1) : i === 0 ? 1 / 3 : 2 / 3));
  const { results, instruction, history } = await inSession(system, 2, async (session) => [await session.gate(propose("tie"))]);
  assert.equal(results[0]!.accepted, false);
  assert.equal(instruction, "incumbent");
  // The pooled means keep the +2.8e-17 (the old gate's paired gain here too): a tie, counted.
  assert.equal(history.gate!.floatTies, 1);
  // A real gain of the smallest score step is accepted.
  assert.equal(decide([1 / 3 + 1 / 60, 2 / 3], before, RULE).accepted, true);
});

test("a no-op proposal is skipped and counted without spending a system run", async () => {
  const system = stubSystem(() => 0.5);
  const { results, gateRuns, history, outcome } = await inSession(system, 20, async (session) => [
    await session.gate(propose("incumbent")),
    await session.gate({}),
  ]);
  assert.deepEqual(results.map((r) => ("skipped" in r ? r.skipped : "validated")), ["no-op", "no-op"]);
  assert.equal(gateRuns, 0, "the old gate spent a validation of 60 runs on each");
  assert.equal(history.gate!.noOpSkips, 2);
  assert.deepEqual((outcome.extra as { gate: { noOpSkips: number } }).gate.noOpSkips, 2);
});

test("bit-identical weights are a no-op; one changed bit is not", () => {
  const weights = (w: number): Variable => ({ kind: "weights", value: { arch: "a@1", tensors: { w: { shape: [2], data: [0.1, w] } } } });
  assert.equal(isNoOp(weights(0.25), weights(0.25)), true);
  const nextUp = new Float64Array([0.25]);
  new BigInt64Array(nextUp.buffer)[0]! += 1n;
  assert.equal(isNoOp(weights(0.25), weights(nextUp[0]!)), false);
});

test("pooled passes leave out failed runs per example and weigh every pass alike", () => {
  const pooled = pooledFrom([[1, null], [0, 0.5]], pooledFrom([[1, 1]]));
  assert.deepEqual(pooled, { sums: [2, 1.5], counts: [3, 2] });
  assert.equal(pooledScore(pooled), (2 / 3 + 0.75) / 2);
});

test("an Optimas checkpoint keeps the gate's pooled passes, and one written before it resumes", async () => {
  const small = { initialTrainSize: 8, perIterationNewData: 4, valSize: 10, lrfEpochs: 5, promptCandidates: 2, localTrainSize: 6 };
  const run = async (dir: string, iterations: number) => {
    const rt = createRuntime({ system: "toy", world: 1, seed: 5 });
    const out = await runOptimas({ system: rt.system, train: rt.data.train, val: rt.data.val, ctx: rt.ctx, config: resolveConfig("quick", SIMLM_META_MODELS, { ...small, iterations }), runDir: new RunDir(dir), onEvent: undefined });
    out.lrf.dispose();
    return out.checkpoint;
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gate-optimas-"));
  const first = await run(dir, 2);
  const compared = (cp: Checkpoint) => cp.history.filter((h) => h.gate !== undefined).length;
  const saved = new RunDir(dir).read<Checkpoint>("checkpoint.json", "checkpoint");
  assert.equal(saved.gate!.nextPass, valRepeats * (1 + compared(first)), "each comparison draws fresh passes");
  assert.equal(saved.gate!.noOpSkips, first.history.filter((h) => h.validationSkipped === "no-op").length);
  assert.equal(saved.best.score, pooledScore(saved.gate!.incumbent));
  // A checkpoint from before the gate kept its passes (still running): the incumbent's means stand for valRepeats passes each.
  const { gate: _gate, ...old } = saved;
  new RunDir(dir).write("checkpoint.json", { ...old, status: "running" });
  const resumed = await run(dir, 3);
  assert.equal(resumed.status, "finished");
  assert.equal(resumed.history.length, 3);
  assert.equal(resumed.gate!.nextPass, valRepeats * (1 + (resumed.history[2]!.gate ? 1 : 0)));
  fs.rmSync(dir, { recursive: true, force: true });
});
