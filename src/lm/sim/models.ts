/**
 * The seven SimLM models of simlm@1: tier bases from the prior (shared/design/simlm.md) and the
 * documented price and latency table. Prices rise with tier; the two specialists cost what
 * sim-m costs. Latency is simulated (reported, never slept).
 */

export type SkillDomain = "general" | "code" | "medical";

export interface ModelSpec {
  name: string;
  /** Ability offset of the tier (prior). */
  tierBase: number;
  /** The domain where the model is a specialist (+0.6 there, −0.3 elsewhere). */
  specialty?: SkillDomain;
  /** US dollars per million prompt / completion tokens. */
  promptPrice: number;
  completionPrice: number;
  /** Simulated latency: time to first token, per 1,000 prompt tokens, per completion token (ms). */
  firstTokenMs: number;
  perKiloPromptMs: number;
  perTokenMs: number;
}

export const MODELS: readonly ModelSpec[] = [
  { name: "sim-xs", tierBase: -1.0, promptPrice: 0.05, completionPrice: 0.2, firstTokenMs: 80, perKiloPromptMs: 10, perTokenMs: 4 },
  { name: "sim-s", tierBase: -0.4, promptPrice: 0.15, completionPrice: 0.6, firstTokenMs: 120, perKiloPromptMs: 15, perTokenMs: 6 },
  { name: "sim-m", tierBase: 0.0, promptPrice: 0.5, completionPrice: 1.5, firstTokenMs: 180, perKiloPromptMs: 25, perTokenMs: 9 },
  { name: "sim-l", tierBase: 0.5, promptPrice: 2.5, completionPrice: 10, firstTokenMs: 300, perKiloPromptMs: 40, perTokenMs: 14 },
  { name: "sim-xl", tierBase: 0.9, promptPrice: 10, completionPrice: 30, firstTokenMs: 500, perKiloPromptMs: 70, perTokenMs: 22 },
  { name: "sim-coder", tierBase: 0.0, specialty: "code", promptPrice: 0.5, completionPrice: 1.5, firstTokenMs: 180, perKiloPromptMs: 25, perTokenMs: 9 },
  { name: "sim-med", tierBase: 0.0, specialty: "medical", promptPrice: 0.5, completionPrice: 1.5, firstTokenMs: 180, perKiloPromptMs: 25, perTokenMs: 9 },
];

export const MODEL_NAMES: readonly string[] = MODELS.map((m) => m.name);

const BY_NAME = new Map(MODELS.map((m) => [m.name, m]));

/** The spec of a model; an unknown name is an error that lists the models SimLM serves. */
export function modelSpec(name: string): ModelSpec {
  const m = BY_NAME.get(name);
  if (!m) throw new Error(`SimLM has no model "${name}"; use one of: ${MODEL_NAMES.join(", ")}`);
  return m;
}
