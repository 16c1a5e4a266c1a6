import { createRng, normal, type Rng } from "../../core/random";
import { CONCEPTS } from "./concepts";

/**
 * A SimLM world: every parameter drawn from the simlm@1 prior by the world seed, never set by
 * hand (shared/design/simlm.md). Skill parameters are drawn lazily, each from its own stream
 * `simlm@1/world-<w>/skill/<name>`, so adding a skill never changes another skill's world.
 */

export const SIMLM_VERSION = "simlm@1";

export interface ModelSpec {
  name: string;
  tierBase: number;
  /** US dollars per million prompt / completion tokens. */
  promptPrice: number;
  completionPrice: number;
  /** Simulated latency: fixed part and per completion token, in ms. */
  latencyBaseMs: number;
  latencyPerTokenMs: number;
}

/** The seven models and their price table (prices rise with tier). */
export const MODELS: readonly ModelSpec[] = [
  { name: "sim-xs", tierBase: -1.0, promptPrice: 0.05, completionPrice: 0.2, latencyBaseMs: 120, latencyPerTokenMs: 4 },
  { name: "sim-s", tierBase: -0.4, promptPrice: 0.15, completionPrice: 0.6, latencyBaseMs: 180, latencyPerTokenMs: 6 },
  { name: "sim-m", tierBase: 0.0, promptPrice: 0.5, completionPrice: 1.5, latencyBaseMs: 250, latencyPerTokenMs: 9 },
  { name: "sim-l", tierBase: 0.5, promptPrice: 2.5, completionPrice: 10, latencyBaseMs: 400, latencyPerTokenMs: 14 },
  { name: "sim-xl", tierBase: 0.9, promptPrice: 10, completionPrice: 30, latencyBaseMs: 700, latencyPerTokenMs: 22 },
  { name: "sim-coder", tierBase: 0.0, promptPrice: 0.5, completionPrice: 1.5, latencyBaseMs: 250, latencyPerTokenMs: 9 },
  { name: "sim-med", tierBase: 0.0, promptPrice: 0.5, completionPrice: 1.5, latencyBaseMs: 250, latencyPerTokenMs: 9 },
];

export const MODEL_NAMES = MODELS.map((m) => m.name);

/** Which specialist model a skill's domain favours (+0.6 there, −0.3 elsewhere). */
export type SkillDomain = "general" | "code" | "med";

export interface SkillParams {
  ability: Record<string, number>;
  conceptWeight: Record<string, number>;
  interactions: { a: string; b: string; weight: number }[];
  failureRates: number[];
  formatBase: number;
  formatWeight: Record<string, number>;
}

function spikeAndSlab(rng: Rng): number {
  const r = rng();
  if (r < 0.25) return normal(rng, 0.6, 0.2);
  if (r < 0.4) return normal(rng, -0.5, 0.2);
  return 0;
}

/** Dirichlet(2, …, 2) via Gamma(2, 1) = sum of two Exp(1). */
function dirichlet2(rng: Rng, k: number): number[] {
  const g = Array.from({ length: k }, () => -Math.log(Math.max(rng(), 1e-12)) - Math.log(Math.max(rng(), 1e-12)));
  const s = g.reduce((a, b) => a + b, 0);
  return g.map((x) => x / s);
}

export class World {
  readonly seed: number;
  private readonly skills = new Map<string, SkillParams>();

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0) throw new Error(`SimLM world must be a non-negative integer (got ${seed})`);
    this.seed = seed;
  }

  get id(): string {
    return `${SIMLM_VERSION}/world-${this.seed}`;
  }

  params(skill: string, domain: SkillDomain, failureModes: number): SkillParams {
    const known = this.skills.get(skill);
    if (known) return known;
    const rng = createRng(`${this.id}/skill/${skill}`);
    const ability: Record<string, number> = {};
    for (const m of MODELS) {
      const specialist = m.name === "sim-coder" ? "code" : m.name === "sim-med" ? "med" : undefined;
      const specialization = specialist === undefined ? 0 : specialist === domain ? 0.6 : -0.3;
      ability[m.name] = m.tierBase + normal(rng, 0, 0.35) + specialization;
    }
    const conceptWeight: Record<string, number> = {};
    for (const c of CONCEPTS) conceptWeight[c.id] = spikeAndSlab(rng);
    const interactions = Array.from({ length: 3 }, () => {
      const a = CONCEPTS[Math.floor(rng() * CONCEPTS.length)]!.id;
      let b = CONCEPTS[Math.floor(rng() * CONCEPTS.length)]!.id;
      if (b === a) b = CONCEPTS[(CONCEPTS.findIndex((c) => c.id === a) + 1) % CONCEPTS.length]!.id;
      return { a, b, weight: normal(rng, 0, 0.4) };
    });
    const failureRates = dirichlet2(rng, Math.max(1, failureModes));
    const formatBase = normal(rng, 1.5, 0.5);
    const formatWeight: Record<string, number> = {};
    for (const c of CONCEPTS) if (c.format) formatWeight[c.id] = spikeAndSlab(rng);
    const params = { ability, conceptWeight, interactions, failureRates, formatBase, formatWeight };
    this.skills.set(skill, params);
    return params;
  }
}

export function modelSpec(name: string): ModelSpec {
  const m = MODELS.find((x) => x.name === name);
  if (!m) throw new Error(`SimLM has no model "${name}" (models: ${MODEL_NAMES.join(", ")})`);
  return m;
}
