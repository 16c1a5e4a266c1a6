import { CONCEPTS, conceptsIn, wordCount } from "./concepts";
import type { SkillParams } from "./world";

/** The instruction sensitivity P and format quality of simlm.md, cached per instruction text. */

export interface InstructionProfile {
  concepts: Set<string>;
  words: number;
}

const profiles = new Map<string, InstructionProfile>();

export function instructionProfile(instruction: string): InstructionProfile {
  let p = profiles.get(instruction);
  if (!p) {
    p = { concepts: new Set(conceptsIn(instruction)), words: wordCount(instruction) };
    if (profiles.size > 50_000) profiles.clear();
    profiles.set(instruction, p);
  }
  return p;
}

/** P = 1.5·tanh(raw/1.5), raw = Σ concept weights + interactions − 0.15 per 50 words beyond 80. */
export function instructionTerm(params: SkillParams, profile: InstructionProfile): number {
  let raw = 0;
  for (const c of profile.concepts) raw += params.conceptWeight[c] ?? 0;
  for (const i of params.interactions) if (profile.concepts.has(i.a) && profile.concepts.has(i.b)) raw += i.weight;
  raw -= (0.15 * Math.max(0, profile.words - 80)) / 50;
  return 1.5 * Math.tanh(raw / 1.5);
}

/** Logit of format compliance: base + weights of the format concepts present. */
export function formatLogit(params: SkillParams, profile: InstructionProfile): number {
  let f = params.formatBase;
  for (const c of CONCEPTS) if (c.format && profile.concepts.has(c.id)) f += params.formatWeight[c.id] ?? 0;
  return f;
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}
