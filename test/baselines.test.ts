import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BASELINE_METHODS } from "../src/baselines/methods";
import { sharedProtocol, TRAIN_SAMPLE_INDEX } from "../src/baselines/protocol";
import type { BaselineHistory } from "../src/baselines/session";
import { FunctionComponent } from "../src/core/component";
import { RunContext } from "../src/core/context";
import { VALIDATION_SAMPLE_INDEX, type MethodOutcome } from "../src/core/method";
import { RunDir } from "../src/core/run-dir";
import { parseReply } from "../src/core/signature";
import { CompoundSystem, meanOfRan, type Example, type StateDict } from "../src/core/system";
import type { BudgetCaps } from "../src/core/budget";
import { EDIT } from "../src/lm/meta-prompts";
import type { ChatMeta, ChatRequest, ChatResponse, LM } from "../src/core/lm-types";
import { getMethod, METHODS } from "../src/repro/methods";
import { createRuntime, separateContext, type Runtime } from "../src/repro/runtime";
import { buildToySystem } from "../src/systems/toy/index";
import { SIMLM_META_MODELS } from "../src/repro/meta-model";

// Room for every method to finish: a spend that stops mid-evaluation depends on which concurrent
// calls were in flight, so "the same result twice" compares finished runs (each gate comparison
// re-measures the incumbent, about 2 × 60 validation runs on the toy system).
const CAPS: BudgetCaps = { systemRuns: 1500, llmCalls: 8000 };
const APPLICABLE_TO_TOY = ["unoptimized", "llmselector", "hbc", "textgrad", "mipro", "mipro-demos", "opro"];

/** Records every chat call (skill and reply) on the way to the real client. */
class RecordingLM implements LM {
  readonly calls: { skill: string; text: string }[] = [];
  constructor(private readonly inner: LM) {}
  get providerId(): string {
    return this.inner.providerId;
  }
  get budget() {
    return this.inner.budget;
  }
  async chat(request: ChatRequest, meta?: ChatMeta): Promise<ChatResponse> {
    const reply = await this.inner.chat(request, meta);
    this.calls.push({ skill: meta?.skill ?? "", text: reply.text });
    return reply;
  }
  embed(texts: string[], meta?: ChatMeta): Promise<number[][]> {
    return this.inner.embed(texts, meta);
  }
}

interface Finished {
  rt: Runtime;
  outcome: MethodOutcome;
  history: BaselineHistory;
  state: StateDict;
  dir: string;
  lm: RecordingLM;
}

async function runOnToy(id: string, caps: BudgetCaps = CAPS, dir = fs.mkdtempSync(path.join(os.tmpdir(), `baseline-${id}-`))): Promise<Finished> {
  const rt = createRuntime({ system: "toy", world: 1, seed: 3, budget: caps });
  const lm = new RecordingLM(rt.client);
  const runDir = new RunDir(dir);
  const outcome = await getMethod(id).run({ system: rt.system, train: rt.data.train, val: rt.data.val, ctx: new RunContext({ lm, seed: rt.seed }), preset: "quick", options: getMethod(id).resolveOptions("quick", {}), models: SIMLM_META_MODELS, runDir, log: () => undefined });
  return { rt, outcome, history: runDir.read<BaselineHistory>("history.json", "history"), state: rt.system.stateDict(), dir, lm };
}

/** The system's validation score as the gate measures it, recomputed outside the method's budget. */
async function rescoreValidation(rt: Runtime): Promise<number> {
  const { ctx } = separateContext(rt);
  const { valSize, valRepeats } = sharedProtocol("quick", SIMLM_META_MODELS);
  // The gate's score: the mean over examples of each example's mean over its passes (core/gate.ts).
  return meanOfRan((await rt.system.evaluate(rt.data.val.slice(0, valSize), ctx.withSample(VALIDATION_SAMPLE_INDEX), { repeats: valRepeats })).perExample);
}

function assertWithin(rt: Runtime, caps: BudgetCaps): void {
  const spent = rt.ctx.budget.spent;
  assert.ok(spent.systemRuns <= caps.systemRuns!, `system runs ${spent.systemRuns} > cap ${caps.systemRuns}`);
  assert.ok(spent.llmCalls <= caps.llmCalls!, `LLM calls ${spent.llmCalls} > cap ${caps.llmCalls}`);
}

test("the registry lists every baseline once, before Optimas, and only REINFORCE does not apply to the toy system", () => {
  const ids = METHODS.map((m) => m.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const m of BASELINE_METHODS) {
    assert.ok(ids.indexOf(m.id) < ids.indexOf("optimas"), `${m.id} is listed after optimas`);
    assert.ok(m.source.length > 0 && !m.source.startsWith("ablation"), `${m.id} needs a source line that is not an ablation's`);
  }
  const toy = buildToySystem();
  const skipped = BASELINE_METHODS.filter((m) => m.notApplicable(toy) !== null).map((m) => m.id);
  assert.deepEqual(skipped, ["reinforce"]);
  assert.match(getMethod("reinforce").notApplicable(toy)!, /weights/);
  assert.deepEqual(BASELINE_METHODS.map((m) => m.id).filter((id) => id !== "reinforce").sort(), [...APPLICABLE_TO_TOY].sort());
});

test("methods that change prompts or models do not apply to a system without them", () => {
  const knob = new FunctionComponent(
    { name: "knob", description: "echoes a number", inputFields: ["x"], outputFields: ["y"], variable: { kind: "params", value: { k: 1 }, space: { k: [1, 2] } } },
    (inputs) => ({ y: inputs.x! }),
  );
  const system = new CompoundSystem({ name: "knob-only", components: [knob], metric: () => 0 });
  const notApplicable = Object.fromEntries(BASELINE_METHODS.map((m) => [m.id, m.notApplicable(system)]));
  for (const id of ["llmselector", "textgrad", "mipro", "mipro-demos", "opro", "reinforce"]) assert.equal(typeof notApplicable[id], "string", id);
  assert.equal(notApplicable.hbc, null);
  assert.equal(notApplicable.unoptimized, null);
});

for (const id of APPLICABLE_TO_TOY) {
  test(`${id} on the toy system: within the budget, a consistent outcome and history, the same result twice`, async () => {
    const a = await runOnToy(id);
    assertWithin(a.rt, CAPS);
    assert.ok(a.outcome.status === "finished" || a.outcome.status === "budget", a.outcome.status);
    assert.ok(Number.isFinite(a.outcome.valBefore) && Number.isFinite(a.outcome.valAfter));
    // Every accepted change beat the incumbent's pooled score on the same passes; the incumbent's
    // score itself may fall below the start's, as re-measuring dilutes a lucky first validation.
    for (const step of a.history.steps.filter((s) => s.accepted === true)) assert.ok((step.valAfter as number) > (step.valBefore as number), `step ${String(step.step)} accepted without a gain`);
    assert.ok(a.outcome.accepted <= a.outcome.iterations);
    assert.equal(a.history.status, a.outcome.status);
    assert.equal(a.history.steps.length, a.outcome.iterations);
    assert.equal(a.history.accepted, a.outcome.accepted);
    if (id === "unoptimized") assert.equal(a.outcome.iterations, 0);
    // The state left in the system is the one the method reports and saved.
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(a.dir, "system-state.json"), "utf8")), a.state);
    // Without a comparison the reported score is the start's passes, as measured again here.
    if (a.history.gate!.nextPass === sharedProtocol("quick", SIMLM_META_MODELS).valRepeats) assert.equal(await rescoreValidation(a.rt), a.outcome.valAfter);
    if (a.outcome.accepted === 0) assert.deepEqual(a.state, buildToySystem().stateDict());
    else assert.notDeepEqual(a.state, buildToySystem().stateDict());

    const b = await runOnToy(id);
    assert.deepEqual(b.state, a.state);
    assert.deepEqual(b.history, a.history);
    assert.deepEqual(b.rt.ctx.budget.spent, a.rt.ctx.budget.spent);
  });
}

test("a budget cap mid-run stops cleanly and leaves the best validated state", async () => {
  const caps = { systemRuns: 90, llmCalls: 6000 };
  const { rt, outcome, history, state, dir } = await runOnToy("opro", caps);
  assert.equal(outcome.status, "budget");
  assert.equal(history.status, "budget");
  assertWithin(rt, caps);
  assert.equal(rt.ctx.budget.spent.systemRuns, caps.systemRuns);
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, "system-state.json"), "utf8")), state);
  assert.equal(await rescoreValidation(rt), outcome.valAfter);
});

test("a cap below one validation pass ends before any change, with no scores", async () => {
  const caps = { systemRuns: 5, llmCalls: 6000 };
  const { rt, outcome, state } = await runOnToy("textgrad", caps);
  assert.equal(outcome.status, "budget");
  assert.equal(outcome.valBefore, null);
  assert.equal(outcome.valAfter, null);
  assertWithin(rt, caps);
  assert.deepEqual(state, buildToySystem().stateDict());
});

test("an LLM-call cap stops TextGrad cleanly too", async () => {
  const caps = { systemRuns: 600, llmCalls: 150 };
  const { rt, outcome } = await runOnToy("textgrad", caps);
  assert.equal(outcome.status, "budget");
  assert.equal(rt.ctx.budget.spent.llmCalls, 150);
});

test("a STOP file ends a baseline after its current step, at the best validated state", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "baseline-stop-"));
  fs.writeFileSync(path.join(dir, "STOP"), "");
  const { rt, outcome, history } = await runOnToy("mipro", CAPS, dir);
  assert.equal(outcome.status, "stopped");
  assert.equal(history.status, "stopped");
  assert.equal(outcome.iterations, 1);
  assert.equal(await rescoreValidation(rt), outcome.valAfter);
});

test("TextGrad's edits come from meta.edit replies to meta.critique feedback and change the instruction", async () => {
  const { history, lm } = await runOnToy("textgrad");
  const critiques = lm.calls.filter((c) => c.skill.startsWith("meta.critique"));
  const editReplies = lm.calls.filter((c) => c.skill.startsWith("meta.edit")).map((c) => String(parseReply(EDIT.outputs, c.text).outputs.edited_instruction).trim());
  assert.ok(critiques.length > 0, "no critique was asked for");
  const original = (buildToySystem().component("extractor").variable as { instruction: string }).instruction;
  const edits = history.steps.flatMap((s) => Object.values(s.edits as Record<string, { instruction: string }>).map((e) => e.instruction));
  assert.ok(edits.length > 0, "no step proposed an edit");
  for (const e of edits) {
    assert.ok(editReplies.includes(e), `edit "${e}" is not a meta.edit reply`);
    assert.notEqual(e, original);
  }
  for (const s of history.steps) {
    if (Object.keys(s.edits as object).length > 0) assert.ok(Object.keys(s.critiques as object).length > 0, "an edit without critiques");
  }
});

/** Mean global metric of the toy system with the extractor's instruction replaced, at one sample index. */
async function globalScore(rt: Runtime, ids: readonly string[], patches: Record<string, { instruction: string }>, sampleIndex: number): Promise<number> {
  const byId = new Map<string, Example>([...rt.data.train, ...rt.data.val].map((e) => [e.id, e]));
  const { ctx } = separateContext(rt);
  const overrides = Object.fromEntries(Object.entries(patches).map(([name, p]) => [name, { variable: { kind: "prompt" as const, instruction: p.instruction } }]));
  const fresh = createRuntime({ system: "toy", world: 1, seed: 3 }).system;
  return (await fresh.evaluate(ids.map((id) => byId.get(id)!), ctx.withOverrides(overrides).withSample(sampleIndex))).mean;
}

test("OPRO scores every proposal by full system runs with the global metric on its training minibatch", async () => {
  const { rt, history } = await runOnToy("opro");
  const step = history.steps.find((s) => (s.proposals as unknown[]).length > 0)!;
  assert.ok(step, "OPRO made no proposal");
  for (const p of step.proposals as { instruction: string; score: number }[]) {
    assert.equal(p.score, await globalScore(rt, step.batch as string[], { [step.component as string]: p }, TRAIN_SAMPLE_INDEX));
  }
});

test("MIPRO scores each trial's instruction choice by full system runs with the global metric on a validation minibatch", async () => {
  const { rt, history } = await runOnToy("mipro");
  const modules = history.notes.candidates as { component: string; instructions: string[] }[];
  assert.ok(modules.length > 0 && modules.every((m) => m.instructions.length > 1), "MIPRO proposed no instruction");
  for (const trial of history.steps.slice(0, 4)) {
    const point = trial.point as number[];
    const patches = Object.fromEntries(modules.map((m, d) => [m.component, { instruction: m.instructions[point[d]!]! }]));
    assert.equal(trial.score, await globalScore(rt, trial.minibatch as string[], patches, VALIDATION_SAMPLE_INDEX));
  }
});
