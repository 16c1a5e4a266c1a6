import type { Component } from "../core/component";
import type { Fields } from "../core/json";
import type { LocalRewardModel } from "../reward/lrf";

/** One input/output row of a component, scored by a local reward. */
export interface RewardRow {
  inputs: Fields;
  outputs: Fields;
}

/** What the local optimizers maximize: the LRF, or an LLM judge in the ablation. */
export interface LocalReward {
  readonly kind: "lrf" | "judge";
  score(component: Component, rows: readonly RewardRow[]): Promise<number[]>;
}

export class LrfReward implements LocalReward {
  readonly kind = "lrf";
  constructor(readonly model: LocalRewardModel) {}

  score(component: Component, rows: readonly RewardRow[]): Promise<number[]> {
    return this.model.score(rows.map((r) => ({ component: component.name, description: component.description, inputs: r.inputs, outputs: r.outputs })));
  }
}

/** Index of the highest score; ties keep the earliest (deterministic). */
export function argmax(scores: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[best]!) best = i;
  return best;
}
