import { stableStringify } from "../../core/json";
import { LLMComponent } from "../../core/llm-component";
import { callMeta, PROPOSE, scoredInstructionsText, TIPS, type ScoredInstruction } from "../../lm/meta-prompts";
import { scoreCandidate } from "./score";
import { proposalSample } from "../../core/sample-indices";
import type { LocalOptimizerArgs, LocalOptimizerResult } from "./types";

/**
 * `prompt` variables: OPRO-style search. The meta-prompt shows the scored history (the current
 * instruction included and scored — the reference left it out, §7.8), `meta.propose` writes a new
 * instruction (kept whole, not cut at its first line), and every candidate is scored by the mean
 * local reward of the component's outputs on the training rows. The best candidate is proposed
 * only if it beats the current instruction under the local reward; the global gate decides after.
 */
export async function optimizePrompt(args: LocalOptimizerArgs): Promise<LocalOptimizerResult> {
  const { component, ctx, config, round } = args;
  const variable = component.variable;
  if (variable?.kind !== "prompt") throw new Error(`component "${component.name}" has no prompt variable`);
  const targetSkill = component instanceof LLMComponent ? component.skill : undefined;
  const history: ScoredInstruction[] = [{ instruction: variable.instruction, score: await scoreCandidate(args, {}, "current") }];
  const rng = ctx.rng(`opro/${round}/${component.name}`);
  for (let t = 0; t < config.promptCandidates; t++) {
    const reply = await callMeta(
      PROPOSE,
      { component_description: component.description, scored_instructions: scoredInstructionsText(history), tip: TIPS[Math.floor(rng() * TIPS.length)]! },
      { lm: ctx.lm, model: config.metaModel, skill: "meta.propose", targetSkill, temperature: 0.7, sampleIndex: proposalSample(round, t), stage: "optimize" },
    );
    const instruction = String(reply.proposed_instruction ?? "").trim();
    if (instruction === "" || history.some((h) => h.instruction === instruction)) continue;
    history.push({ instruction, score: await scoreCandidate(args, { variable: { kind: "prompt", instruction } }, `candidate ${t + 1}`) });
  }
  const best = history.reduce((b, h) => (h.score > b.score ? h : b), history[0]!);
  const candidates = history.map((h, i) => ({ label: i === 0 ? `current: ${h.instruction}` : h.instruction, score: h.score }));
  const next = { ...variable, instruction: best.instruction };
  return { variable: next, candidates, unchanged: stableStringify(next) === stableStringify(variable) };
}
