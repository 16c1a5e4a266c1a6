import { createRng, normal, type Rng } from "../../core/random";
import { CONCEPT_INDEX, CONCEPTS } from "./concepts";
import { MODELS, type SkillDomain } from "./models";
import { CONFLICT_PAIRS, contradictsFormat, isRelevant, outputFormat, type TaskTrait } from "./relevance";
import { SIMLM_VERSION, type SimLMVersion } from "./version";

/**
 * A SimLM world: every parameter drawn from its version's prior by the world seed, never set by
 * hand. This comment gives simlm@1's prior (shared/design/simlm.md); simlm@2's instruction prior
 * is `drawInstructionPriorV2` below (docs/simlm.md). Each parameter group has its own generator seeded by a path such
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

export { SIMLM_VERSION };

/** What the world needs to know about a skill to draw its parameters. */
export interface SkillShape {
  name: string;
  domain: SkillDomain;
  failureModes: readonly string[];
  formatConcepts: readonly string[];
  /** What the task is (simlm@2 reads it for concept relevance; simlm@1 ignores it). */
  traits?: readonly TaskTrait[];
}

export interface Interaction {
  a: number;
  b: number;
  weight: number;
}

/** Two concepts a model cannot follow together, and what asking for both costs (simlm@2). */
export interface Conflict {
  a: number;
  b: number;
  penalty: number;
}

export interface SkillParams {
  version: SimLMVersion;
  /** Ability by model name. */
  ability: Readonly<Record<string, number>>;
  /** Weight of each concept, indexed like CONCEPTS. */
  conceptWeights: Float64Array;
  /** simlm@1's interacting pairs (none in simlm@2). */
  interactions: readonly Interaction[];
  /** simlm@2: contradicting pairs; empty in simlm@1. */
  conflicts: readonly Conflict[];
  /** simlm@2: format-logit cost of each concept that contradicts the skill's output format. */
  formatContradictions: ReadonlyMap<number, number>;
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
const RELEVANT_HELPFUL = 0.35;
const RELEVANT_HARMFUL = 0.15;
const IRRELEVANT_MEAN = -0.03;
const IRRELEVANT_SD = 0.03;
const CONFLICT_MEAN = 0.5;
const CONFLICT_SD = 0.15;
const MIN_CONFLICT = 0.1;
const CONTRADICTION_MEAN = 0.9;
const CONTRADICTION_SD = 0.2;
const MIN_CONTRADICTION = 0.2;

/** simlm@2's weight scale relative to simlm@1's: the ratio of the helpful slabs' means. */
const BELIEF_SCALE_V2 = 0.35 / 0.6;

type InstructionPrior = Pick<SkillParams, "conceptWeights" | "interactions" | "conflicts" | "formatWeights" | "formatContradictions">;

/** The ability every meta-skill's belief noise is derived from. */
const BELIEF_ABILITY = "meta";

function spikeAndSlab(rng: Rng): number {
  const r = rng();
  if (r < SPIKE_HELPFUL) return normal(rng, 0.6, 0.2);
  if (r < SPIKE_HELPFUL + SPIKE_HARMFUL) return normal(rng, -0.5, 0.2);
  return 0;
}

/** simlm@2: the weight of a concept relevant to the skill's task. */
function relevantWeightV2(rng: Rng): number {
  const r = rng();
  if (r < RELEVANT_HELPFUL) return normal(rng, 0.35, 0.12);
  if (r < RELEVANT_HELPFUL + RELEVANT_HARMFUL) return normal(rng, -0.3, 0.12);
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
  readonly version: SimLMVersion;
  readonly id: string;
  /** simlm@1's id: simlm@2 keeps simlm@1's draws of abilities, failure rates and format bases. */
  private readonly v1Id: string;
  private readonly skills = new Map<string, SkillParams>();
  private readonly abilities = new Map<string, Record<string, number>>();
  private readonly beliefs = new Map<string, Float64Array>();

  constructor(seed: number, version: SimLMVersion = SIMLM_VERSION) {
    if (!Number.isInteger(seed) || seed < 0) throw new Error(`SimLM world must be a non-negative integer (got ${seed})`);
    this.seed = seed;
    this.version = version;
    this.id = `${version}/world-${seed}`;
    this.v1Id = `simlm@1/world-${seed}`;
  }

  /** A generator of this version's draws. */
  private rng(path: string): Rng {
    return createRng(`${this.id}/${path}`);
  }

  /** A generator of the draws every version shares (abilities, failure rates, format bases). */
  private sharedRng(path: string): Rng {
    return createRng(`${this.v1Id}/${path}`);
  }

  /** a[m][s] for every model. */
  ability(skill: string, domain: SkillDomain): Readonly<Record<string, number>> {
    const key = `${skill}\u0000${domain}`;
    let table = this.abilities.get(key);
    if (!table) {
      table = {};
      for (const m of MODELS) {
        const specialization = m.specialty === undefined ? 0 : m.specialty === domain ? 0.6 : -0.3;
        table[m.name] = m.tierBase + normal(this.sharedRng(`skill/${skill}/ability/${m.name}`), 0, 0.35) + specialization;
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
    const formatIndices = skill.formatConcepts.map((id) => {
      const i = CONCEPT_INDEX.get(id);
      if (i === undefined) throw new Error(`SimLM skill "${skill.name}" lists unknown format concept "${id}" (see src/lm/sim/concepts.ts)`);
      return i;
    });
    const instruction = this.version === "simlm@1" ? this.drawInstructionPriorV1(base, formatIndices) : this.drawInstructionPriorV2(base, formatIndices, skill.traits ?? []);
    const params: SkillParams = {
      version: this.version,
      ability: this.ability(skill.name, skill.domain),
      ...instruction,
      failureRates: skill.failureModes.length > 0 ? dirichlet2(this.sharedRng(`${base}/failure-rates`), skill.failureModes.length) : [],
      formatBase: normal(this.sharedRng(`${base}/format/base`), 1.5, 0.5),
      instructionCache: new Map(),
    };
    this.skills.set(skill.name, params);
    return params;
  }

  private drawInstructionPriorV1(base: string, formatIndices: readonly number[]): InstructionPrior {
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
    for (const i of formatIndices) formatWeights.set(i, spikeAndSlab(this.rng(`${base}/format/${CONCEPTS[i]!.id}`)));
    return { conceptWeights, interactions, conflicts: [], formatWeights, formatContradictions: new Map() };
  }

  /**
   * simlm@2's instruction prior (docs/simlm.md, "The prior"): a concept relevant to the skill's
   * traits is drawn from a spike-and-slab (35% helpful N(+0.35, 0.12), 15% harmful N(−0.30, 0.12),
   * 50% exactly 0); an irrelevant one from N(−0.03, 0.03), a slight distraction. Each
   * contradicting pair costs N(0.5, 0.15) (at least 0.1); each concept that contradicts the
   * skill's output format costs its format logit N(0.9, 0.2) (at least 0.2).
   */
  private drawInstructionPriorV2(base: string, formatIndices: readonly number[], traits: readonly TaskTrait[]): InstructionPrior {
    const conceptWeights = new Float64Array(CONCEPTS.length);
    CONCEPTS.forEach((c, i) => {
      const rng = this.rng(`${base}/concept/${c.id}`);
      conceptWeights[i] = isRelevant(i, traits) ? relevantWeightV2(rng) : normal(rng, IRRELEVANT_MEAN, IRRELEVANT_SD);
    });
    const conflicts = CONFLICT_PAIRS.map(([a, b]) => ({
      a,
      b,
      penalty: Math.max(MIN_CONFLICT, normal(this.rng(`${base}/conflict/${CONCEPTS[a]!.id}/${CONCEPTS[b]!.id}`), CONFLICT_MEAN, CONFLICT_SD)),
    }));
    const formatWeights = new Map<number, number>();
    for (const i of formatIndices) formatWeights.set(i, spikeAndSlab(this.rng(`${base}/format/${CONCEPTS[i]!.id}`)));
    const format = outputFormat(traits);
    const formatContradictions = new Map<number, number>();
    CONCEPTS.forEach((c, i) => {
      if (contradictsFormat(i, format)) formatContradictions.set(i, Math.max(MIN_CONTRADICTION, normal(this.rng(`${base}/contradiction/${c.id}`), CONTRADICTION_MEAN, CONTRADICTION_SD)));
    });
    return { conceptWeights, interactions: [], conflicts, formatWeights, formatContradictions };
  }

  /** σ of a model's belief noise: shrinks as the model's meta ability grows. */
  beliefNoise(model: string): number {
    const a = this.ability(BELIEF_ABILITY, "general")[model] ?? 0;
    return 1 - 1 / (1 + Math.exp(-a));
  }

  /**
   * ŵ: what `model` believes each concept's weight to be for `target` (zeros plus noise for an
   * unknown target), in simlm@1's units: simlm@2's weights are smaller (its helpful slab has mean
   * 0.35, simlm@1's 0.6), so its beliefs are ŵ = (w + N(0, σ·s)) / s with s = 0.35/0.6. A
   * proposer then tells helpful from harmful concepts exactly as well as in simlm@1 (the same
   * signal-to-noise ratio), and picks among them with the same sharpness.
   */
  belief(model: string, target: SkillShape | undefined): Float64Array {
    const key = `${model}\u0000${target?.name ?? ""}`;
    let b = this.beliefs.get(key);
    if (!b) {
      const rng = this.rng(`belief/${model}/${target?.name ?? "unknown"}`);
      const sigma = this.beliefNoise(model);
      const w = target ? this.params(target).conceptWeights : new Float64Array(CONCEPTS.length);
      const scale = this.version === "simlm@1" ? 1 : BELIEF_SCALE_V2;
      b = Float64Array.from(w, (x) => (x + normal(rng, 0, sigma * scale)) / scale);
      this.beliefs.set(key, b);
    }
    return b;
  }
}
