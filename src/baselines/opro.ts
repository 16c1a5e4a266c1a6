import type { Method } from "../core/method";
import { resolveSettings, type SettingsSpec } from "../core/method-options";
import { shuffled } from "../core/random";
import { callMeta, PROPOSE, scoredInstructionsText, TIPS, type ScoredInstruction } from "../lm/meta-prompts";
import { promptComponents, targetSkill, TRAIN_SAMPLE_INDEX } from "./protocol";
import { GlobalScorer } from "./scorer";
import { proposalSample } from "../core/sample-indices";
import { patchOverrides, runBaseline } from "./session";

/**
 * OPRO (Yang et al. 2024, "Large Language Models as Optimizers") applied with the GLOBAL metric:
 * for each prompt component in turn, the meta-prompt (`meta.propose`) shows the best instructions
 * so far with their scores in ascending order plus a random tip, and each proposal is scored by
 * running the whole system on a fixed training minibatch with the global metric — where Optimas's
 * OPRO-style optimizer scores the component's outputs with its local reward instead.
 *
 * Adapted: the current instruction is scored and shown first, and proposals are drawn at
 * temperature 0.7, a few per step (OPRO: 8 per step at temperature 1), all as Optimas's optimizer
 * does; after the component's steps, the best-scoring instruction must pass the shared validation
 * gate.
 */

export interface OproSettings {
  /** Steps shared by all prompt components (at least `minStepsPerComponent` each), so the cost does not grow with their number. */
  steps: number;
  minStepsPerComponent: number;
  /** Instructions proposed per step. */
  proposalsPerStep: number;
  /** Training examples of the fixed minibatch every proposal is scored on. */
  trainSize: number;
  /** Best instructions so far shown in the meta-prompt. */
  shownInstructions: number;
}

export const OPRO_SETTINGS: SettingsSpec<OproSettings> = {
  schema: {
    steps: { type: "integer", min: 1 },
    minStepsPerComponent: { type: "integer", min: 1 },
    proposalsPerStep: { type: "integer", min: 1 },
    trainSize: { type: "integer", min: 1 },
    shownInstructions: { type: "integer", min: 1 },
  },
  presets: {
    quick: { steps: 8, minStepsPerComponent: 2, proposalsPerStep: 4, trainSize: 16, shownInstructions: 20 },
    paper: { steps: 16, minStepsPerComponent: 3, proposalsPerStep: 6, trainSize: 20, shownInstructions: 20 },
  },
};

export const oproMethod: Method<OproSettings> = {
  id: "opro",
  title: "OPRO (global metric)",
  role: "extra-baseline",
  source: "OPRO (Yang et al. 2024): scored-history instruction proposals, each scored by full system runs with the global metric",
  notApplicable: (system) => (promptComponents(system).length === 0 ? "the system has no prompt variable" : null),
  resolveOptions: (preset, options) => resolveSettings("opro", OPRO_SETTINGS, preset, options),
  run: (args) =>
    runBaseline("opro", args, async (session) => {
      const { system, ctx, train } = session.args;
      const settings = args.options;
      const scorer = new GlobalScorer(system, ctx, { sampleIndex: TRAIN_SAMPLE_INDEX, stage: "optimize", concurrency: session.protocol.concurrency }, session.failures.collection);
      const targets = promptComponents(system);
      const steps = Math.max(settings.minStepsPerComponent, Math.ceil(settings.steps / targets.length));
      for (const component of targets) {
        const variable = component.variable;
        if (variable?.kind !== "prompt") continue;
        const batch = shuffled(train, ctx.rng(`opro/batch/${component.name}`)).slice(0, settings.trainSize);
        const rng = ctx.rng(`opro/tips/${component.name}`);
        const scoreOf = async (instruction: string) =>
          (await scorer.evaluate(batch, patchOverrides({ [component.name]: { kind: "prompt", instruction } }))).mean;
        const history: ScoredInstruction[] = [{ instruction: variable.instruction, score: await scoreOf(variable.instruction) }];
        for (let step = 1; step <= steps; step++) {
          const proposals: ScoredInstruction[] = [];
          const shown = [...history].sort((a, b) => b.score - a.score).slice(0, settings.shownInstructions);
          for (let j = 0; j < settings.proposalsPerStep; j++) {
            const reply = await callMeta(
              PROPOSE,
              { component_description: component.description, scored_instructions: scoredInstructionsText(shown), tip: TIPS[Math.floor(rng() * TIPS.length)]! },
              { lm: ctx.lm, model: session.protocol.metaModel, skill: "meta.propose", targetSkill: targetSkill(component), temperature: 0.7, sampleIndex: proposalSample(step, j), stage: "optimize" },
            );
            const instruction = String(reply.proposed_instruction ?? "").trim();
            if (instruction === "" || history.some((h) => h.instruction === instruction) || proposals.some((p) => p.instruction === instruction)) continue;
            proposals.push({ instruction, score: await scoreOf(instruction) });
          }
          history.push(...proposals);
          // After the last step the best instruction (the earliest of equals, so the current one
          // keeps a tie) faces the validation gate.
          const best = history.reduce((b, h) => (h.score > b.score ? h : b), history[0]!);
          const last = step === steps;
          const gate = last && best.instruction !== variable.instruction ? await session.gate({ [component.name]: { kind: "prompt", instruction: best.instruction } }) : undefined;
          const verdict = gate ? `; val ${gate.valBefore.toFixed(4)} → ${gate.valAfter.toFixed(4)} ${gate.accepted ? "accepted" : "rejected"}` : "";
          session.step(
            { component: component.name, batch: batch.map((e) => e.id), proposals, ...(last ? { selected: best } : {}), ...gate },
            `${component.name} step ${step}: ${proposals.length} proposals, best minibatch score ${best.score.toFixed(4)}${verdict}`,
          );
        }
      }
    }),
};
