import type { Component } from "../core/component";
import { mapLimit } from "../core/concurrency";
import type { Fields } from "../core/json";
import type { Method } from "../core/method";
import { resolveSettings, type SettingsSpec } from "../core/method-options";
import { shuffled, type Rng } from "../core/random";
import { mean } from "../core/stats";
import type { Example } from "../core/system";
import { callMeta, CRITIQUE, EDIT, type MetaCall } from "../lm/meta-prompts";
import { promptComponents, targetSkill, TRAIN_SAMPLE_INDEX } from "./protocol";
import { GlobalScorer, type ScoredRun } from "./scorer";
import { proposalSample } from "../core/sample-indices";
import { patchOverrides, runBaseline, type BaselineSession, type Patches } from "./session";

/**
 * TextGrad (Yuksekgonul et al. 2024): textual gradient descent. Each step runs a training
 * minibatch forward, turns each example's global result into textual feedback (the loss), and
 * propagates it backward through the DAG: every prompt component, last to first, gets a critique
 * (`meta.critique`) of its own output given the feedback on the final result plus the critiques
 * already given to the components downstream of it. The optimizer step (`meta.edit`) rewrites
 * each instruction from its minibatch's critiques, concatenated as TextGrad sums gradients.
 *
 * Acceptance: as TextGrad's optimizer does, an edit is tried only if it improves the same
 * minibatch (same examples, same sample indices); it is then kept only if it passes the shared
 * validation gate (TextGrad's prompt-optimization recipe reverts an edit that lowers validation;
 * every method here uses the one gate of the comparison). Adapted: the feedback states the
 * system's final output and its metric score, never the reference answer.
 */

export interface TextGradSettings {
  /** Optimizer steps (one training minibatch forward and backward each). */
  steps: number;
  /** Training examples per minibatch. */
  batchSize: number;
}

export const TEXTGRAD_SETTINGS: SettingsSpec<TextGradSettings> = {
  schema: { steps: { type: "integer", min: 1 }, batchSize: { type: "integer", min: 1 } },
  presets: {
    quick: { steps: 24, batchSize: 5 },
    paper: { steps: 60, batchSize: 5 },
  },
};

function outputText(outputs: Fields): string {
  const values = Object.values(outputs);
  return values.length === 1 && typeof values[0] === "string" ? values[0] : JSON.stringify(outputs);
}

/** Cycles through the training set in a fresh seeded order each epoch, `size` examples at a time. */
function minibatches(train: readonly Example[], size: number, rng: Rng): () => Example[] {
  let order: Example[] = [];
  return () => {
    if (order.length < size) order = [...order, ...shuffled(train, rng)];
    return order.splice(0, size);
  };
}

export const textGradMethod: Method<TextGradSettings> = {
  id: "textgrad",
  title: "TextGrad",
  role: "baseline",
  source: "TextGrad (Yuksekgonul et al. 2024): textual gradients through the DAG (meta.critique), instruction edits (meta.edit) accepted on minibatch improvement",
  notApplicable: (system) => (promptComponents(system).length === 0 ? "the system has no prompt variable" : null),
  resolveOptions: (preset, options) => resolveSettings("textgrad", TEXTGRAD_SETTINGS, preset, options),
  run: (args) =>
    runBaseline("textgrad", args, async (session) => {
      const { system, ctx, train } = session.args;
      const settings = args.options;
      const scorer = new GlobalScorer(system, ctx, { sampleIndex: TRAIN_SAMPLE_INDEX, stage: "optimize", concurrency: session.protocol.concurrency }, session.failures.collection);
      const next = minibatches(train, settings.batchSize, ctx.rng("textgrad/batches"));
      for (let step = 1; step <= settings.steps; step++) {
        const batch = next();
        const runs = await scorer.traces(batch);
        const critiques = await backward(session, runs, step);
        const edits: Patches = {};
        for (const component of promptComponents(system)) {
          const gradients = [...new Set(critiques.get(component.name) ?? [])];
          if (gradients.length === 0) continue;
          const instruction = currentInstruction(component);
          const reply = await callMeta(EDIT, { instruction, critique: gradients.join("\n") }, metaCall(session, component, "meta.edit", proposalSample(step, 0)));
          const edited = String(reply.edited_instruction ?? "").trim();
          if (edited !== "" && edited !== instruction) edits[component.name] = { kind: "prompt", instruction: edited };
        }
        const before = mean(runs.map((r) => r.score));
        const after = Object.keys(edits).length > 0 ? (await scorer.evaluate(batch, patchOverrides(edits))).mean : before;
        const gate = after > before ? await session.gate(edits) : undefined;
        const verdict = gate ? `val ${gate.valBefore.toFixed(4)} → ${gate.valAfter.toFixed(4)} ${gate.accepted ? "accepted" : "reverted"}` : "no minibatch gain";
        session.step(
          { batch: batch.map((e) => e.id), critiques: Object.fromEntries(critiques), edits, minibatchBefore: before, minibatchAfter: after, ...gate },
          `minibatch ${before.toFixed(4)} → ${after.toFixed(4)}; ${verdict}`,
        );
      }
    }),
};

function currentInstruction(component: Component): string {
  if (component.variable?.kind !== "prompt") throw new Error(`textgrad: component "${component.name}" has no prompt variable`);
  return component.variable.instruction;
}

function metaCall(session: BaselineSession, component: Component, skill: "meta.critique" | "meta.edit", sampleIndex: number): MetaCall {
  // Temperature 0: TextGrad's backward engine answers deterministically; the inputs differ per example and step.
  return { lm: session.args.ctx.lm, model: session.protocol.metaModel, skill, targetSkill: targetSkill(component), temperature: 0, sampleIndex, stage: "optimize" };
}

/** Critiques per prompt component for every run of the minibatch (in example order), each run differentiated last component first. */
async function backward(session: BaselineSession, runs: readonly ScoredRun[], step: number): Promise<Map<string, string[]>> {
  const { system } = session.args;
  const perRun = await mapLimit(runs, session.protocol.concurrency, async (run, i) => {
    const given: [string, string][] = [];
    if (!run.result) return given; // a failed run has no trace to differentiate
    const loss = `The system's final output was ${JSON.stringify(run.result.outputs)}. It scored ${run.score.toFixed(3)} on the task metric (1 is best).`;
    for (const record of [...run.result.trace].reverse()) {
      if (record.variable?.kind !== "prompt") continue;
      const component = system.component(record.component);
      const downstream = given.map(([, c]) => c);
      const feedback = downstream.length > 0 ? `${loss}\nFeedback given to later components:\n${downstream.join("\n")}` : loss;
      const reply = await callMeta(
        CRITIQUE,
        { component_description: component.description, instruction: record.variable.instruction, component_output: outputText(record.outputs), feedback },
        metaCall(session, component, "meta.critique", proposalSample(step, i)),
      );
      const critique = String(reply.critique ?? "").trim();
      if (critique !== "") given.push([component.name, critique]);
    }
    return given;
  });
  const critiques = new Map<string, string[]>();
  for (const [name, critique] of perRun.flat()) critiques.set(name, [...(critiques.get(name) ?? []), critique]);
  return critiques;
}
