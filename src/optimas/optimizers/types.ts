import type { Component } from "../../core/component";
import type { RunContext } from "../../core/context";
import type { Fields } from "../../core/json";
import type { CompoundSystem, Example } from "../../core/system";
import type { Variable } from "../../core/variable";
import type { OptimasConfig } from "../config";
import type { LocalReward } from "../local-reward";
import type { PreferencePair } from "../../reward/types";

/** One training input of the component being optimized, with the example it came from. */
export interface InputRow {
  example: Example;
  inputs: Fields;
}

export interface LocalOptimizerArgs {
  system: CompoundSystem;
  component: Component;
  rows: readonly InputRow[];
  reward: LocalReward;
  ctx: RunContext;
  config: OptimasConfig;
  /** Iteration number: separates random streams and sample indices between iterations. */
  round: number;
  /** The component's replay buffer: its pairs' winners are the prompt optimizer's demonstration candidates. */
  winners?: readonly PreferencePair[];
}

/** A scored candidate, for the run record. */
export interface ScoredCandidate {
  label: string;
  score: number;
}

export interface LocalOptimizerResult {
  /** The proposed new variable (the gate decides whether it stays). */
  variable: Variable;
  candidates: ScoredCandidate[];
  /** Set when the component should pick its value per input at run time (search mode "per-input"). */
  perInput?: boolean;
  /** The best candidate is the current variable: nothing to validate. */
  unchanged?: boolean;
}
