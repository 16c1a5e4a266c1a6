import type { Component } from "../core/component";
import { stableStringify, type Json } from "../core/json";
import type { Method } from "../core/method";
import { resolveSettings, type SettingsSpec } from "../core/method-options";
import { isTrainable } from "../core/policy";
import { shuffled } from "../core/random";
import type { Demo, VariablePatch } from "../core/variable";
import { collectPreferences, type Candidate, type CollectedExample } from "../optimas/collect";
import { policyRows, sampleAndScore } from "./policy-rollouts";
import { runBaseline, type BaselineSession } from "./session";
import { roundRollout } from "../core/sample-indices";

/**
 * Hierarchical behaviour cloning (the paper's HBC baseline): visit the components in topological
 * order; for each, re-sample it on training inputs, roll the rest of the system out and score
 * every sample with the global metric (the same collection Optimas's preference data uses), keep
 * the highest-reward sample of each input, and clone those: the next component is cloned on top
 * of the already-cloned upstream ones.
 *
 * What "clone" means per variable kind (our choices; the paper does not spell them out):
 * - `prompt`: the kept samples with the highest rewards become the prompt's demonstrations (at
 *   most `maxDemos`, as DSPy's bootstrapping keeps); the instruction is unchanged;
 * - `params` / `model`: the value that is the best sample on the most inputs (the maximum-
 *   likelihood policy of the kept samples; ties keep the current value);
 * - `weights`: supervised updates of the policy toward its kept samples (REINFORCE steps with
 *   advantage 1 on them, i.e. maximizing their log-likelihood).
 * Each cloned component passes the shared validation gate or is reverted.
 */

export interface HbcSettings {
  /** Training inputs each component is re-sampled on. */
  trainSize: number;
  /** Re-samples of the component per input. */
  samples: number;
  /** Downstream rollouts averaged per sample. */
  rollouts: number;
  /** LLM components are re-sampled at this temperature to explore (Optimas's collection default). */
  sampleTemperature: number;
  /** Most demonstrations a cloned prompt keeps. */
  maxDemos: number;
  /** Supervised epochs of a cloned local model, and their learning rate. */
  epochs: number;
  learningRate: number;
}

export const HBC_SETTINGS: SettingsSpec<HbcSettings> = {
  schema: {
    trainSize: { type: "integer", min: 1 },
    samples: { type: "integer", min: 1 },
    rollouts: { type: "integer", min: 1 },
    sampleTemperature: { type: "number", min: 0 },
    maxDemos: { type: "integer", min: 0 },
    epochs: { type: "integer", min: 0 },
    learningRate: { type: "number", min: 0 },
  },
  presets: {
    quick: { trainSize: 16, samples: 3, rollouts: 2, sampleTemperature: 0.7, maxDemos: 4, epochs: 5, learningRate: 0.05 },
    paper: { trainSize: 30, samples: 4, rollouts: 3, sampleTemperature: 0.7, maxDemos: 4, epochs: 10, learningRate: 0.05 },
  },
};

/** Re-samples a prompt, params or model component and returns the cloned variable patch. */
async function cloneByCollection(session: BaselineSession, component: Component, round: number, settings: HbcSettings): Promise<{ patch: VariablePatch | undefined; summary: Record<string, Json> }> {
  const { system, ctx, train } = session.args;
  const batch = shuffled(train, ctx.rng(`hbc/batch/${component.name}`)).slice(0, settings.trainSize);
  const collection = await collectPreferences(system, component.name, batch, ctx, {
    numSamples: settings.samples,
    numRollouts: settings.rollouts,
    minGap: 0,
    pairRule: "all-ordered",
    groundTruthInjection: false,
    sampleTemperature: settings.sampleTemperature,
    concurrency: session.protocol.concurrency,
    round,
  });
  session.failures.collection.merge(collection.failureCounts.toJSON());
  const kept = collection.examples.flatMap((e) => keptSample(e));
  const variable = component.variable!;
  if (variable.kind === "prompt") {
    // Highest rewards first; equal rewards in a seeded order, so no input is favoured by position.
    const order = shuffled(kept, ctx.rng(`hbc/demos/${component.name}`)).sort((a, b) => b.candidate.score - a.candidate.score);
    const demos: Demo[] = order
      .filter((k) => k.candidate.score > 0)
      .slice(0, settings.maxDemos)
      .map((k) => ({ inputs: k.example.inputs, outputs: k.candidate.outputs }));
    return { patch: demos.length > 0 ? { kind: "prompt", demos } : undefined, summary: { demos: demos.length, demoRewards: order.slice(0, demos.length).map((k) => k.candidate.score) } };
  }
  if (variable.kind === "params" || variable.kind === "model") {
    const current: Json = variable.value;
    const wins = new Map<string, { value: Json; count: number }>([[stableStringify(current), { value: current, count: 0 }]]);
    // An input whose samples all score the same shows no preference, so it casts no vote.
    for (const { candidate } of kept.filter((k) => k.informative)) {
      const value = drawnValue(candidate) ?? current;
      const key = stableStringify(value);
      wins.set(key, { value, count: (wins.get(key)?.count ?? 0) + 1 });
    }
    const best = [...wins.values()].reduce((b, w) => (w.count > b.count ? w : b));
    const patch: VariablePatch = variable.kind === "params" ? { kind: "params", value: best.value as Record<string, Json> } : { kind: "model", value: String(best.value) };
    return { patch, summary: { wins: Object.fromEntries([...wins.entries()].map(([k, w]) => [k, w.count])) } };
  }
  throw new Error(`hbc: component "${component.name}" has a ${variable.kind} variable, which is cloned through its policy`);
}

/** The params/model value a sample was drawn with (undefined for the component's unchanged output). */
function drawnValue(candidate: Candidate): Json | undefined {
  const patch = candidate.override?.variable;
  return patch?.kind === "params" || patch?.kind === "model" ? patch.value : undefined;
}

/** The highest-reward sample of one input; among equals the unchanged output (no override), else the first. */
function keptSample(example: CollectedExample): { example: CollectedExample; candidate: Candidate; informative: boolean }[] {
  if (example.candidates.length === 0) return [];
  const top = Math.max(...example.candidates.map((c) => c.score));
  const best = example.candidates.filter((c) => c.score === top);
  const candidate = best.find((c) => c.override === undefined) ?? best[0]!;
  return [{ example, candidate, informative: best.length < example.candidates.length }];
}

/** Behaviour cloning of a local model: supervised steps toward its highest-reward sample per input. */
async function cloneWeights(session: BaselineSession, component: Component, round: number, settings: HbcSettings): Promise<{ patch: VariablePatch | undefined; summary: Record<string, Json> }> {
  const { system, ctx, train } = session.args;
  const variable = component.variable;
  if (variable?.kind !== "weights" || !isTrainable(component)) throw new Error(`hbc: component "${component.name}" has no trainable weights`);
  const batch = shuffled(train, ctx.rng(`hbc/batch/${component.name}`)).slice(0, settings.trainSize);
  const runCtx = ctx.withStage("optimize").withSample(roundRollout(round, 0));
  const concurrency = session.protocol.concurrency;
  const policy = await component.policyFrom(variable.value);
  try {
    const rows = await policyRows(system, component.name, batch, runCtx, concurrency, session.failures.collection);
    const scored = await sampleAndScore(system, component.name, policy, rows, { samples: settings.samples, rng: ctx.rng(`hbc/policy/${component.name}`), ctx: runCtx, concurrency, failures: session.failures.collection });
    const kept = scored.map((samples) => samples.reduce((b, s) => (s.reward > b.reward ? s : b))).filter((s) => s.reward > 0);
    if (kept.length === 0) return { patch: undefined, summary: { kept: 0 } };
    const targets = kept.map((s) => ({ inputs: s.inputs, action: s.action, advantage: 1 }));
    const losses: number[] = [];
    for (let epoch = 0; epoch < settings.epochs; epoch++) losses.push(await policy.reinforce(targets, settings.learningRate));
    return { patch: { kind: "weights", value: policy.weights() }, summary: { kept: kept.length, losses } };
  } finally {
    policy.dispose();
  }
}

export const hbcMethod: Method<HbcSettings> = {
  id: "hbc",
  title: "Hierarchical behaviour cloning",
  role: "baseline",
  source: "hierarchical behaviour cloning (the paper's HBC): each component, in topological order, imitates its highest-reward samples",
  notApplicable: (system) => (system.optimizableComponents.length === 0 ? "the system has no optimizable component" : null),
  resolveOptions: (preset, options) => resolveSettings("hbc", HBC_SETTINGS, preset, options),
  run: (args) =>
    runBaseline("hbc", args, async (session) => {
      const settings = args.options;
      const components = args.system.optimizableComponents;
      for (const [round, component] of components.entries()) {
        const clone = component.variable!.kind === "weights" ? cloneWeights : cloneByCollection;
        const { patch, summary } = await clone(session, component, round, settings);
        const gate = patch ? await session.gate({ [component.name]: patch }) : undefined;
        const verdict = gate ? `val ${gate.valBefore.toFixed(4)} → ${gate.valAfter.toFixed(4)} ${gate.accepted ? "accepted" : "rejected"}` : "nothing to clone";
        // Weights are stored in system-state.json, not repeated in the history.
        const recorded = patch?.kind === "weights" ? "weights" : (patch ?? null);
        session.step({ component: component.name, patch: recorded, ...summary, ...gate }, `${component.name}: ${verdict}`);
      }
    }),
};
