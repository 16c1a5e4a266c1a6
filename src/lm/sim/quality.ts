import { profileInstruction, type InstructionProfile } from "./concepts";
import type { SkillParams } from "./world";

/**
 * The quality equation of simlm@1 (shared/design/simlm.md):
 *
 *   logit q = (a[m][s] + P(instruction) + D(demos) + E(inputs)) / (1 + 0.5·T)
 *   P = 1.5·tanh(raw / 1.5),  raw = Σ concept weights + Σ interactions − length penalty
 *   D = Σ over the first 4 demos of (+0.25 if the skill's checker accepts it, else −0.10)
 *   format logit f = (base + Σ format-concept weights) / (1 + 0.5·T)
 *
 * The length penalty is 0.15 per 50 words beyond 80, pro rata.
 */

const FREE_WORDS = 80;
const PENALTY_PER_50_WORDS = 0.15;
const P_SCALE = 1.5;
const DEMO_CORRECT = 0.25;
const DEMO_INCORRECT = -0.1;
const MAX_COUNTED_DEMOS = 4;
const CACHE_LIMIT = 5_000;

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Temperature flattens every logit toward 0. */
export function flatten(logit: number, temperature: number): number {
  return logit / (1 + 0.5 * temperature);
}

export function lengthPenalty(words: number): number {
  return (PENALTY_PER_50_WORDS * Math.max(0, words - FREE_WORDS)) / 50;
}

function rawInstructionTerm(params: SkillParams, profile: InstructionProfile): number {
  let raw = 0;
  for (const i of profile.concepts) raw += params.conceptWeights[i]!;
  for (const x of params.interactions) if (profile.present.has(x.a) && profile.present.has(x.b)) raw += x.weight;
  return raw - lengthPenalty(profile.words);
}

/** P for one skill and instruction (cached per skill). */
export function instructionTerm(params: SkillParams, instruction: string): number {
  const known = params.instructionCache.get(instruction);
  if (known !== undefined) return known;
  const p = P_SCALE * Math.tanh(rawInstructionTerm(params, profileInstruction(instruction)) / P_SCALE);
  if (params.instructionCache.size >= CACHE_LIMIT) params.instructionCache.clear();
  params.instructionCache.set(instruction, p);
  return p;
}

/** D from the checker's verdicts on the demos, in order (only the first four count). */
export function demoTerm(verdicts: readonly boolean[]): number {
  let d = 0;
  for (let i = 0; i < Math.min(MAX_COUNTED_DEMOS, verdicts.length); i++) d += verdicts[i] ? DEMO_CORRECT : DEMO_INCORRECT;
  return d;
}

/** Format logit before temperature: base plus the weights of the skill's format concepts present. */
export function formatTerm(params: SkillParams, instruction: string): number {
  let f = params.formatBase;
  if (params.formatWeights.size === 0) return f;
  const { present } = profileInstruction(instruction);
  for (const [i, w] of params.formatWeights) if (present.has(i)) f += w;
  return f;
}
