import type { Fields, Json } from "./json";
import type { Rng } from "./random";
import type { WeightsValue } from "./variable";

/**
 * A trainable local model behind a `weights` variable, seen as a stochastic policy: it samples an
 * action (what its outputs are made from) and can take a policy-gradient step. Components with a
 * `weights` variable implement `TrainableComponent` so optimizers can train them without knowing
 * their architecture.
 */
export interface Policy {
  /** Samples outputs for one input; `action` is what `logProb` needs to score the sample again. */
  sample(inputs: Fields, rng: Rng): { outputs: Fields; action: Json };
  /**
   * One gradient step maximizing Σ advantage · log π(action | inputs) (REINFORCE); returns the
   * surrogate loss before the step.
   */
  reinforce(batch: readonly { inputs: Fields; action: Json; advantage: number }[], learningRate: number): Promise<number>;
  /** The current parameters, to store as the component's new variable. */
  weights(): WeightsValue;
  dispose(): void;
}

export interface TrainableComponent {
  /** A policy initialized from `weights` (the component's own state is not touched). */
  policyFrom(weights: WeightsValue): Promise<Policy>;
}

export function isTrainable(component: unknown): component is TrainableComponent {
  return typeof (component as Partial<TrainableComponent>).policyFrom === "function";
}
