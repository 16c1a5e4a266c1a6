import { stableStringify } from "../../core/json";
import { LLMComponent } from "../../core/llm-component";
import { callMeta, PROPOSE, scoredInstructionsText, TIPS, type ScoredInstruction } from "../../lm/meta-prompts";
import { scoreCandidate } from "./score";
import { demoSets } from "./demos";
import { proposalSample } from "../../core/sample-indices";
import type { LocalOptimizerArgs, LocalOptimizerResult } from "./types";

/**
 * `prompt` variables: OPRO-style search. The meta-prompt shows the scored history (the current
 * instruction included and scored — the reference left it out, §7.8), `meta.propose` writes a new
 * instruction (kept whole, not cut at its first line), and every candidate is scored by the mean
 * local reward of the component's outputs on the training rows. The best instruction is then tried
 * with demonstration sets chosen by the local reward (demos.ts). The best candidate is proposed
 * only if it beats the current prompt under the local reward; the global gate decides after.
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
  const bestInstruction = history.reduce((b, h) => (h.score > b.score ? h : b), history[0]!);
  const scored = history.map((h, i) => ({ label: i === 0 ? `current: ${h.instruction}` : h.instruction, variable: { ...variable, instruction: h.instruction }, score: h.score }));
  for (const [k, demos] of (await demoSets(args)).entries()) {
    const withDemos = { ...variable, instruction: bestInstruction.instruction, demos };
    if (stableStringify(withDemos) === stableStringify(variable)) continue;
    scored.push({ label: `demo set ${k + 1} (${demos.length}) with: ${bestInstruction.instruction}`, variable: withDemos, score: await scoreCandidate(args, { variable: withDemos }, `demo set ${k + 1}`) });
  }
  const best = scored.reduce((b, c) => (c.score > b.score ? c : b), scored[0]!);
  const candidates = scored.map(({ label, score }) => ({ label, score }));
  return { variable: best.variable, candidates, unchanged: stableStringify(best.variable) === stableStringify(variable) };
}
