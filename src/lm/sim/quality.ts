import { CONCEPTS, profileInstruction, type InstructionProfile } from "./concepts";
import type { SkillParams } from "./world";

/**
 * The quality equation. simlm@1 (shared/design/simlm.md):
 *
 *   logit q = (a[m][s] + P(instruction) + D(demos) + E(inputs)) / (1 + 0.5·T)
 *   P = 1.5·tanh(raw / 1.5),  raw = Σ concept weights + Σ interactions − length penalty
 *   D = Σ over the first 4 demos of (+0.25 if the skill's checker accepts it, else −0.10)
 *   format logit f = (base + Σ format-concept weights) / (1 + 0.5·T)
 *
 * The length penalty is 0.15 per 50 words beyond 80, pro rata.
 *
 * simlm@2 (docs/simlm.md) changes only P and f; D, E and temperature are simlm@1's:
 *   raw = Σ_k ρ^k · (k-th largest helpful weight, conflicted concepts excluded) + Σ harmful weights
 *         − Σ penalties of contradicting pairs present − 0.04 per concept beyond 4
 *         − 0.1 per 50 words beyond 60;  ρ = 0.6;  P = 1.2·tanh(raw / 1.2)
 *   f = base + Σ format-concept weights − Σ costs of concepts contradicting the output format
 *       − Σ penalties of contradicting pairs that involve a format concept
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

const V2_FREE_WORDS = 60;
const V2_PENALTY_PER_50_WORDS = 0.1;
const V2_DIMINISHING = 0.6;
const V2_FREE_CONCEPTS = 4;
const V2_PER_EXTRA_CONCEPT = 0.04;
const V2_P_SCALE = 1.2;

export function lengthPenaltyV2(words: number): number {
  return (V2_PENALTY_PER_50_WORDS * Math.max(0, words - V2_FREE_WORDS)) / 50;
}

/** The contradicting pairs whose two concepts are both present. */
function presentConflicts(params: SkillParams, present: ReadonlySet<number>): SkillParams["conflicts"] {
  return params.conflicts.filter((c) => present.has(c.a) && present.has(c.b));
}

function rawInstructionTermV2(params: SkillParams, profile: InstructionProfile): number {
  const conflicts = presentConflicts(params, profile.present);
  const conflicted = new Set(conflicts.flatMap((c) => [c.a, c.b]));
  const helpful: number[] = [];
  let raw = 0;
  for (const i of profile.concepts) {
    const w = params.conceptWeights[i]!;
    // A model asked for two contradicting things follows neither reliably: their help is lost, their harm stays.
    if (w > 0) {
      if (!conflicted.has(i)) helpful.push(w);
    } else raw += w;
  }
  helpful.sort((a, b) => b - a);
  helpful.forEach((w, k) => (raw += w * V2_DIMINISHING ** k));
  for (const c of conflicts) raw -= c.penalty;
  raw -= V2_PER_EXTRA_CONCEPT * Math.max(0, profile.concepts.length - V2_FREE_CONCEPTS);
  return raw - lengthPenaltyV2(profile.words);
}

function squashedInstructionTerm(params: SkillParams, instruction: string): number {
  const profile = profileInstruction(instruction);
  if (params.version === "simlm@1") return P_SCALE * Math.tanh(rawInstructionTerm(params, profile) / P_SCALE);
  return V2_P_SCALE * Math.tanh(rawInstructionTermV2(params, profile) / V2_P_SCALE);
}

/** P for one skill and instruction (cached per skill). */
export function instructionTerm(params: SkillParams, instruction: string): number {
  const known = params.instructionCache.get(instruction);
  if (known !== undefined) return known;
  const p = squashedInstructionTerm(params, instruction);
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
  if (params.formatWeights.size === 0 && params.version === "simlm@1") return f;
  const { present } = profileInstruction(instruction);
  for (const [i, w] of params.formatWeights) if (present.has(i)) f += w;
  if (params.version === "simlm@1") return f;
  for (const [i, cost] of params.formatContradictions) if (present.has(i)) f -= cost;
  for (const c of presentConflicts(params, present)) if (CONCEPTS[c.a]!.format || CONCEPTS[c.b]!.format) f -= c.penalty;
  return f;
}
