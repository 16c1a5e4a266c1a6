import { createRng, normal, type Rng } from "../../core/random";
import { CONCEPT_INDEX, CONCEPTS } from "./concepts";
import { MODELS, type SkillDomain } from "./models";

/**
 * A SimLM world: every parameter drawn from the simlm@1 prior (shared/design/simlm.md) by the
 * world seed, never set by hand. Each parameter group has its own generator seeded by a path such
 * as `simlm@1/world-3/skill/toy.answer/concept/concise`, and skills are drawn lazily on first use,
 * so adding a skill (or a failure mode to one skill) never changes another skill's parameters.
 *
 * The prior, per skill s:
 * - ability a[m][s] = tier base + N(0, 0.35), plus +0.6 for a specialist model in its domain and
 *   −0.3 for a specialist elsewhere;
 * - concept weights, spike-and-slab: 25% N(+0.6, 0.2), 15% N(−0.5, 0.2), 60% exactly 0;
 * - 3 interacting concept pairs with weights N(0, 0.4);
 * - failure-mode rates ~ Dirichlet(2, …, 2) over the skill's failure modes;
 * - format quality: base N(1.5, 0.5) on the logit scale, plus spike-and-slab weights for the
 *   skill's format concepts.
 * Meta-skills' noisy beliefs: ŵ = w + N(0, σ_m), with σ_m = 1 − sigmoid(a[m]["meta"]), a fixed
 * belief per (world, proposer model, target skill), so a proposer's misjudgements persist.
 */

export const SIMLM_VERSION = "simlm@1";

/** What the world needs to know about a skill to draw its parameters. */
export interface SkillShape {
  name: string;
  domain: SkillDomain;
  failureModes: readonly string[];
  formatConcepts: readonly string[];
}

export interface Interaction {
  a: number;
  b: number;
  weight: number;
}

export interface SkillParams {
  /** Ability by model name. */
  ability: Readonly<Record<string, number>>;
  /** Weight of each concept, indexed like CONCEPTS. */
  conceptWeights: Float64Array;
  interactions: readonly Interaction[];
  /** Rates of the skill's failure modes, in its declared order (they sum to 1). */
  failureRates: readonly number[];
  formatBase: number;
  /** Format weight of each of the skill's format concepts, by concept index. */
  formatWeights: ReadonlyMap<number, number>;
  /** Instruction term P by instruction text (filled by quality.ts). */
  instructionCache: Map<string, number>;
}

const SPIKE_HELPFUL = 0.25;
const SPIKE_HARMFUL = 0.15;
const INTERACTION_PAIRS = 3;
/** The ability every meta-skill's belief noise is derived from. */
const BELIEF_ABILITY = "meta";

function spikeAndSlab(rng: Rng): number {
  const r = rng();
  if (r < SPIKE_HELPFUL) return normal(rng, 0.6, 0.2);
  if (r < SPIKE_HELPFUL + SPIKE_HARMFUL) return normal(rng, -0.5, 0.2);
  return 0;
}

/** Dirichlet(2, …, 2): normalized Gamma(2, 1) draws, each the sum of two Exp(1). */
function dirichlet2(rng: Rng, k: number): number[] {
  const g = Array.from({ length: k }, () => -Math.log(Math.max(rng(), 1e-12)) - Math.log(Math.max(rng(), 1e-12)));
  const total = g.reduce((a, b) => a + b, 0);
  return g.map((x) => x / total);
}

export class World {
  readonly seed: number;
  readonly id: string;
  private readonly skills = new Map<string, SkillParams>();
  private readonly abilities = new Map<string, Record<string, number>>();
  private readonly beliefs = new Map<string, Float64Array>();

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0) throw new Error(`SimLM world must be a non-negative integer (got ${seed})`);
    this.seed = seed;
    this.id = `${SIMLM_VERSION}/world-${seed}`;
  }

  private rng(path: string): Rng {
    return createRng(`${this.id}/${path}`);
  }

  /** a[m][s] for every model. */
  ability(skill: string, domain: SkillDomain): Readonly<Record<string, number>> {
    const key = `${skill}\u0000${domain}`;
    let table = this.abilities.get(key);
    if (!table) {
      table = {};
      for (const m of MODELS) {
        const specialization = m.specialty === undefined ? 0 : m.specialty === domain ? 0.6 : -0.3;
        table[m.name] = m.tierBase + normal(this.rng(`skill/${skill}/ability/${m.name}`), 0, 0.35) + specialization;
      }
      this.abilities.set(key, table);
    }
    return table;
  }

  /** The skill's drawn parameters (drawn on first use, then cached). */
  params(skill: SkillShape): SkillParams {
    const known = this.skills.get(skill.name);
    if (known) return known;
    const base = `skill/${skill.name}`;
    const conceptWeights = new Float64Array(CONCEPTS.length);
    CONCEPTS.forEach((c, i) => (conceptWeights[i] = spikeAndSlab(this.rng(`${base}/concept/${c.id}`))));
    const pairs = this.rng(`${base}/interactions`);
    const interactions: Interaction[] = [];
    while (interactions.length < INTERACTION_PAIRS) {
      const a = Math.floor(pairs() * CONCEPTS.length);
      const b = Math.floor(pairs() * CONCEPTS.length);
      if (a === b || interactions.some((x) => (x.a === a && x.b === b) || (x.a === b && x.b === a))) continue;
      interactions.push({ a, b, weight: normal(pairs, 0, 0.4) });
    }
    const formatWeights = new Map<number, number>();
    for (const id of skill.formatConcepts) {
      const i = CONCEPT_INDEX.get(id);
      if (i === undefined) throw new Error(`SimLM skill "${skill.name}" lists unknown format concept "${id}" (see src/lm/sim/concepts.ts)`);
      formatWeights.set(i, spikeAndSlab(this.rng(`${base}/format/${id}`)));
    }
    const params: SkillParams = {
      ability: this.ability(skill.name, skill.domain),
      conceptWeights,
      interactions,
      failureRates: skill.failureModes.length > 0 ? dirichlet2(this.rng(`${base}/failure-rates`), skill.failureModes.length) : [],
      formatBase: normal(this.rng(`${base}/format/base`), 1.5, 0.5),
      formatWeights,
      instructionCache: new Map(),
    };
    this.skills.set(skill.name, params);
    return params;
  }

  /** σ of a model's belief noise: shrinks as the model's meta ability grows. */
  beliefNoise(model: string): number {
    const a = this.ability(BELIEF_ABILITY, "general")[model] ?? 0;
    return 1 - 1 / (1 + Math.exp(-a));
  }

  /** ŵ: what `model` believes each concept's weight to be for `target` (zeros plus noise for an unknown target). */
  belief(model: string, target: SkillShape | undefined): Float64Array {
    const key = `${model}\u0000${target?.name ?? ""}`;
    let b = this.beliefs.get(key);
    if (!b) {
      const rng = this.rng(`belief/${model}/${target?.name ?? "unknown"}`);
      const sigma = this.beliefNoise(model);
      const w = target ? this.params(target).conceptWeights : new Float64Array(CONCEPTS.length);
      b = Float64Array.from(w, (x) => x + normal(rng, 0, sigma));
      this.beliefs.set(key, b);
    }
    return b;
  }
}
