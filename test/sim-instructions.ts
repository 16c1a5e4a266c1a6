import { CONCEPTS } from "../src/lm/sim/concepts";
import { instructionTerm } from "../src/lm/sim/quality";
import type { Skill } from "../src/lm/sim/skill";
import { World } from "../src/lm/sim/world";

/** Instructions the world favours and disfavours for a skill: the reference instruction plus its most helpful or most harmful concepts. */
export function instructionsFor(skill: Skill, world: number, base: string): { favoured: string; disfavoured: string; gap: number } {
  const params = new World(world).params(skill);
  const byWeight = CONCEPTS.map((c, i) => ({ phrasing: c.phrasings[0]!, weight: params.conceptWeights[i]! })).sort((x, y) => y.weight - x.weight);
  const favoured = [base, ...byWeight.slice(0, 3).map((c) => c.phrasing)].join(" ");
  const disfavoured = [base, ...byWeight.slice(-3).map((c) => c.phrasing)].join(" ");
  return { favoured, disfavoured, gap: instructionTerm(params, favoured) - instructionTerm(params, disfavoured) };
}
