import type { Method } from "../core/method";
import { resolveSettings, type SettingsSpec } from "../core/method-options";
import { shuffled } from "../core/random";
import type { CompoundSystem } from "../core/system";
import type { Variable } from "../core/variable";
import { TRAIN_SAMPLE_INDEX } from "./protocol";
import { GlobalScorer } from "./scorer";
import { patchOverrides, runBaseline, type Patches } from "./session";

/**
 * LLMSelector (Chen et al. 2025, "Optimizing Model Selection for Compound AI Systems"): iterative
 * per-module model allocation. Each round visits the modules in order and gives each the model
 * with the highest estimated end-to-end score while the other modules keep their current models.
 *
 * Adapted: the estimate is the global metric of full system runs on a fixed training minibatch
 * (what the source's LLM diagnoser approximates, without its extra judge calls); only declared
 * `model` variables are allocated — an LLM component's fixed `config.model` is not, so the method
 * searches the same space Optimas does; a round's allocation is kept only if it passes the same
 * validation gate as every other method; rounds stop when an allocation no longer changes.
 */

export interface LlmSelectorSettings {
  /** Allocation rounds (each visits every module once); they stop early once nothing changes. */
  rounds: number;
  /** Training examples of the fixed minibatch every allocation is estimated on. */
  trainSize: number;
}

export const LLMSELECTOR_SETTINGS: SettingsSpec<LlmSelectorSettings> = {
  schema: { rounds: { type: "integer", min: 1 }, trainSize: { type: "integer", min: 1 } },
  presets: {
    quick: { rounds: 2, trainSize: 20 },
    paper: { rounds: 3, trainSize: 40 },
  },
};

type ModelVariable = Extract<Variable, { kind: "model" }>;

function modelComponents(system: CompoundSystem): { name: string; variable: ModelVariable }[] {
  return system.components.flatMap((c) => (c.variable?.kind === "model" ? [{ name: c.name, variable: c.variable }] : []));
}

function modelPatches(allocation: Record<string, string>): Patches {
  return Object.fromEntries(Object.entries(allocation).map(([name, value]) => [name, { kind: "model", value }]));
}

export const llmSelectorMethod: Method<LlmSelectorSettings> = {
  id: "llmselector",
  title: "LLMSelector",
  role: "baseline",
  source: "LLMSelector (Chen et al. 2025): per-module model allocation by estimated end-to-end gain, estimated by minibatch system runs",
  notApplicable: (system) => (modelComponents(system).length === 0 ? "the system has no component with a model choice" : null),
  resolveOptions: (preset, options) => resolveSettings("llmselector", LLMSELECTOR_SETTINGS, preset, options),
  run: (args) =>
    runBaseline("llmselector", args, async (session) => {
      const { system, ctx, train } = session.args;
      const settings = args.options;
      const targets = modelComponents(system);
      const batch = shuffled(train, ctx.rng("llmselector/batch")).slice(0, settings.trainSize);
      const scorer = new GlobalScorer(system, ctx, { sampleIndex: TRAIN_SAMPLE_INDEX, stage: "optimize", concurrency: session.protocol.concurrency }, session.failures.collection);
      const allocation = Object.fromEntries(targets.map((t) => [t.name, t.variable.value]));
      for (let round = 1; round <= settings.rounds; round++) {
        let changed = false;
        const estimates: Record<string, Record<string, number>> = {};
        for (const { name, variable } of targets) {
          const current = allocation[name]!;
          const scores: Record<string, number> = {};
          // The current model is scored first, so a tie keeps it.
          for (const model of [current, ...variable.choices.filter((m) => m !== current)]) {
            scores[model] = (await scorer.evaluate(batch, patchOverrides(modelPatches({ ...allocation, [name]: model })))).mean;
          }
          const choice = Object.keys(scores).reduce((best, m) => (scores[m]! > scores[best]! ? m : best), current);
          estimates[name] = scores;
          changed ||= choice !== current;
          allocation[name] = choice;
        }
        const gate = changed ? await session.gate(modelPatches(allocation)) : undefined;
        const verdict = gate ? `val ${gate.valBefore.toFixed(4)} → ${gate.valAfter.toFixed(4)} ${gate.accepted ? "accepted" : "rejected"}` : "unchanged";
        session.step({ round, estimates, allocation: { ...allocation }, ...gate }, `round ${round}: ${JSON.stringify(allocation)} ${verdict}`);
        if (!changed) break;
      }
    }),
};
