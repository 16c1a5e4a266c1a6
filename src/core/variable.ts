import type { Json } from "./json";

/** One demonstration shown to an LLM component: input fields and the expected output fields. */
export interface Demo {
  inputs: Record<string, Json>;
  outputs: Record<string, Json>;
}

/** Serialized weights of a small local model (the `weights` variable). */
export interface WeightsValue {
  /** Architecture id the component knows how to rebuild, e.g. "amazon.session-analyzer@1". */
  arch: string;
  tensors: Record<string, { shape: number[]; data: number[] }>;
}

/**
 * The one optimizable variable of a component.
 * - `prompt`: the instruction (and optional demos) rendered into the component's chat messages.
 * - `params`: hyperparameters, one discrete search space per key.
 * - `model`: which named LM the component calls.
 * - `weights`: parameters of a local trainable model.
 */
export type Variable =
  | { kind: "prompt"; instruction: string; demos?: Demo[] }
  | { kind: "params"; value: Record<string, Json>; space: Record<string, Json[]> }
  | { kind: "model"; value: string; choices: string[] }
  | { kind: "weights"; value: WeightsValue };

export type VariableKind = Variable["kind"];

/** A partial change to a variable, as used by overrides and optimizers. */
export type VariablePatch =
  | { kind: "prompt"; instruction?: string; demos?: Demo[] }
  | { kind: "params"; value: Record<string, Json> }
  | { kind: "model"; value: string }
  | { kind: "weights"; value: WeightsValue };

/** Applies a patch: params merge key by key (a partial override), every other kind replaces. */
export function applyPatch(current: Variable, patch: VariablePatch): Variable {
  if (current.kind !== patch.kind) {
    throw new Error(`variable patch of kind "${patch.kind}" cannot apply to a "${current.kind}" variable`);
  }
  switch (current.kind) {
    case "prompt": {
      const p = patch as Extract<VariablePatch, { kind: "prompt" }>;
      return { kind: "prompt", instruction: p.instruction ?? current.instruction, demos: p.demos ?? current.demos };
    }
    case "params": {
      const p = patch as Extract<VariablePatch, { kind: "params" }>;
      for (const [key, v] of Object.entries(p.value)) {
        if (!(key in current.space)) throw new Error(`unknown hyperparameter "${key}" (space has: ${Object.keys(current.space).join(", ")})`);
        if (!current.space[key]!.some((allowed) => JSON.stringify(allowed) === JSON.stringify(v))) {
          throw new Error(`value ${JSON.stringify(v)} for "${key}" is outside its search space ${JSON.stringify(current.space[key])}`);
        }
      }
      return { kind: "params", value: { ...current.value, ...p.value }, space: current.space };
    }
    case "model": {
      const p = patch as Extract<VariablePatch, { kind: "model" }>;
      if (!current.choices.includes(p.value)) throw new Error(`model "${p.value}" is not among the choices ${current.choices.join(", ")}`);
      return { kind: "model", value: p.value, choices: current.choices };
    }
    case "weights":
      return { kind: "weights", value: (patch as Extract<VariablePatch, { kind: "weights" }>).value };
  }
}

/** Every combination of a params search space, in key order (used by grid search and per-input selection). */
export function enumerateSpace(space: Record<string, Json[]>): Record<string, Json>[] {
  let combos: Record<string, Json>[] = [{}];
  for (const [key, values] of Object.entries(space)) {
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  }
  return combos;
}

/** Reads one hyperparameter of a `params` variable (what a component's forward needs). */
export function paramValue(variable: Variable | undefined, key: string): Json {
  if (variable?.kind !== "params" || !(key in variable.value)) throw new Error(`expected a params variable with "${key}"`);
  return variable.value[key]!;
}
