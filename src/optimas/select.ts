import type { Rng } from "../core/random";
import { mean } from "../core/stats";
import type { PreferencePair } from "../reward/types";
import { wilsonLowerBound, type AlignmentTallies } from "./alignment";

/**
 * Which component an iteration optimizes. Rule "aligned-fresh-gap" (default): softmax over each
 * component's expected gap in its latest collection (offline at first, then each fresh on-policy
 * collection, so the estimate moves as the system changes) at temperature τ, each weight multiplied
 * by how far its LRF head is known to beat chance (Wilson lower bound of its out-of-sample pair
 * accuracy minus 0.5, plus a small exploration weight so an unmeasured head gets pairs collected).
 * Issue 11 measured heads at chance (0.44–0.51) taking half the iterations: a head that cannot
 * rank outputs picks its candidate at random, and the validation runs spent on it are wasted.
 * The expected gap counts ties: the mean |score difference| over every two candidates of an
 * example; a component whose candidates all score alike has nothing to offer now.
 * A head not known to beat chance keeps its exploration weight for `explorationTurns` turns at
 * chance: past that, more pairs of the same kind have not made it see (or its collections yield no
 * pairs at all, as STaRK's text scorer's do), and its collections (up to 90 runs a turn on
 * Amazon) are better spent elsewhere.
 * The cooldown keeps a component out for `cooldown` iterations after it was selected and not
 * accepted, while a component trusted at least as much is eligible: it stops lock-in on a component
 * whose proposals keep failing, but never hands the turn of the one head that is learning (or that
 * was just accepted) to heads at chance. A component whose local optimizer proposed no change in
 * its last k turns has converged under its head: it cools for `cooldown` × 2^(k−1) iterations and
 * yields to any component with weight (issue 11: one converged head took 17 turns in a row). "fresh-gap" is the rule before alignment weighting (plain
 * cooldown); "reference-offline-gap" uses the static offline mean pair gaps, as the reference did.
 * The dedicated per-iteration random stream keeps it reproducible (§7.11).
 */

export interface SelectionInput {
  components: readonly string[];
  /** Expected gap of each component's latest collection (see `expectedGap`). */
  recentGaps: Readonly<Record<string, number>>;
  offlineGaps: Readonly<Record<string, number>>;
  lastSelected: Readonly<Record<string, number>>;
  /** Whether each component's last iteration was accepted (absent: not yet selected). */
  lastAccepted: Readonly<Record<string, boolean>>;
  /** Out-of-sample pair tallies of each component's LRF head (see alignment.ts). */
  alignment: Readonly<AlignmentTallies>;
  /** Components whose candidates are scored by the exact metric, not a head: trusted fully. */
  scoredExactly: readonly string[];
  iteration: number;
  rule: SelectionRule;
  temperature: number;
  cooldown: number;
  /** Standard errors of the Wilson lower bound (rule "aligned-fresh-gap"). */
  alignmentZ: number;
  /** Weight of a head not (yet) known to beat chance, relative to (lower bound − 0.5) of aligned heads. */
  exploration: number;
  /** A head not known to beat chance keeps its exploration weight for this many turns at chance. */
  explorationTurns: number;
  /** Each component's turns so far on which its head was not known to beat chance (pairs collected, nothing optimized). */
  atChanceTurns: Readonly<Record<string, number>>;
  /** Each component's run of consecutive turns (up to now) whose proposal changed nothing. */
  noOpStreak: Readonly<Record<string, number>>;
}

export type SelectionRule = "aligned-fresh-gap" | "fresh-gap" | "reference-offline-gap";

export interface Selection {
  component: string;
  probabilities: Record<string, number>;
}

export function meanGap(pairs: readonly PreferencePair[]): number {
  return pairs.length === 0 ? 0 : mean(pairs.map((p) => p.scoreChosen - p.scoreRejected));
}

/**
 * Mean over examples of the mean |score difference| between any two of its candidates, ties
 * included; an example with one distinct candidate (every sample alike) counts 0.
 */
export function expectedGap(examples: readonly { candidates: readonly { score: number }[] }[]): number {
  if (examples.length === 0) return 0;
  return mean(
    examples.map(({ candidates }) => {
      const diffs: number[] = [];
      for (let i = 0; i < candidates.length; i++) for (let j = i + 1; j < candidates.length; j++) diffs.push(Math.abs(candidates[i]!.score - candidates[j]!.score));
      return diffs.length === 0 ? 0 : mean(diffs);
    }),
  );
}

export function selectComponent(input: SelectionInput, rng: Rng): Selection {
  const weighAlignment = input.rule === "aligned-fresh-gap";
  const gaps = input.components.map((c) => (input.rule === "reference-offline-gap" ? input.offlineGaps[c] ?? 0 : input.recentGaps[c] ?? 0));
  const lowerBound = (c: string) => (input.scoredExactly.includes(c) ? 1 : wilsonLowerBound(input.alignment[c], input.alignmentZ));
  const measured = input.components.map((c) => {
    if (!weighAlignment) return 1;
    const above = Math.max(lowerBound(c) - 0.5, 0);
    const exploring = above > 0 || (input.atChanceTurns[c] ?? 0) < input.explorationTurns;
    return above + (exploring ? input.exploration : 0);
  });
  // Exploration 0 with no head above chance leaves nothing to weigh: the gaps decide alone.
  const trust = measured.some((t) => t > 0) ? measured : measured.map(() => 1);
  const streak = (c: string) => (weighAlignment ? input.noOpStreak[c] ?? 0 : 0);
  const cooling = input.components.map((c) => {
    const last = input.lastSelected[c];
    const window = streak(c) > 0 ? input.cooldown * 2 ** (streak(c) - 1) : input.cooldown;
    const recent = last !== undefined && input.iteration - last <= window;
    return recent && !(weighAlignment && input.lastAccepted[c] === true);
  });
  const yields = (i: number, j: number) => (streak(input.components[i]!) > 0 ? trust[j]! > 0 : trust[j]! >= trust[i]!);
  let eligible = input.components.map((_, i) => !cooling[i] || (weighAlignment && !input.components.some((_, j) => j !== i && !cooling[j] && yields(i, j))));
  if (!eligible.some(Boolean)) eligible = input.components.map(() => true);
  const logits = gaps.map((g, i) => (eligible[i] && trust[i]! > 0 ? g / input.temperature + Math.log(trust[i]!) : -Infinity));
  const top = Math.max(...logits);
  const weights = logits.map((l) => (l === -Infinity ? 0 : Math.exp(l - top)));
  const total = weights.reduce((a, b) => a + b, 0);
  const probabilities: Record<string, number> = {};
  input.components.forEach((c, i) => (probabilities[c] = weights[i]! / total));
  let u = rng() * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i]!;
    if (u < 0 && weights[i]! > 0) return { component: input.components[i]!, probabilities };
  }
  const last = weights.map((w, i) => (w > 0 ? i : -1)).filter((i) => i >= 0).pop()!;
  return { component: input.components[last]!, probabilities };
}
