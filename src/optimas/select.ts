import type { Rng } from "../core/random";
import { mean } from "../core/stats";
import type { PreferencePair } from "../reward/types";

/**
 * Which component an iteration optimizes. Rule ("fresh-gap"): softmax over each component's mean
 * preference gap in its replay buffer — offline pairs plus every fresh on-policy pair, so the
 * estimate moves as the system changes — at temperature τ, excluding components selected in the
 * last `cooldown` iterations while another is eligible. The cooldown makes it impossible to lock
 * onto one component forever; the dedicated per-iteration random stream keeps it reproducible
 * (the reference re-seeded its global RNG every iteration and often repeated one draw, §7.11).
 * "reference-offline-gap" uses the static offline gaps only, as the reference did.
 */

export interface SelectionInput {
  components: readonly string[];
  buffers: Readonly<Record<string, readonly PreferencePair[]>>;
  offlineGaps: Readonly<Record<string, number>>;
  lastSelected: Readonly<Record<string, number>>;
  iteration: number;
  rule: "fresh-gap" | "reference-offline-gap";
  temperature: number;
  cooldown: number;
}

export interface Selection {
  component: string;
  probabilities: Record<string, number>;
}

export function meanGap(pairs: readonly PreferencePair[]): number {
  return pairs.length === 0 ? 0 : mean(pairs.map((p) => p.scoreChosen - p.scoreRejected));
}

export function selectComponent(input: SelectionInput, rng: Rng): Selection {
  const gaps = input.components.map((c) => (input.rule === "fresh-gap" ? meanGap(input.buffers[c] ?? []) : input.offlineGaps[c] ?? 0));
  const cooling = (c: string) => input.lastSelected[c] !== undefined && input.iteration - input.lastSelected[c]! <= input.cooldown;
  let eligible = input.components.map((c) => !cooling(c));
  if (!eligible.some(Boolean)) eligible = input.components.map(() => true);
  const logits = gaps.map((g, i) => (eligible[i] ? g / input.temperature : -Infinity));
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
