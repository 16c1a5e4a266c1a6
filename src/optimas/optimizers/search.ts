import type { ValueSelector } from "../../core/context";
import { applyPatch, enumerateSpace, type Variable, type VariablePatch } from "../../core/variable";
import { stableStringify } from "../../core/json";
import type { Component } from "../../core/component";
import { argmax, type LocalReward } from "../local-reward";
import { scoreCandidate } from "./score";
import type { LocalOptimizerArgs, LocalOptimizerResult } from "./types";

/**
 * `params` and `model` variables. Global mode scores every value of the space by the mean local
 * reward on the training rows and proposes the best; per-input mode keeps the variable and lets
 * the LRF choose the value for each input at run time (the paper's local selection, which the
 * reference never enabled, §7.4).
 */

type SearchPatch = Extract<VariablePatch, { kind: "params" } | { kind: "model" }>;

function patchesOf(variable: Extract<Variable, { kind: "params" } | { kind: "model" }>): SearchPatch[] {
  return variable.kind === "params"
    ? enumerateSpace(variable.space).map((value) => ({ kind: "params", value }))
    : variable.choices.map((value) => ({ kind: "model", value }));
}

export async function optimizeSearch(args: LocalOptimizerArgs): Promise<LocalOptimizerResult> {
  const variable = args.component.variable;
  if (variable?.kind !== "params" && variable?.kind !== "model") throw new Error(`search needs a params or model variable ("${args.component.name}")`);
  if (args.config.searchMode === "per-input") return { variable, candidates: [], perInput: true };
  const candidates = [];
  for (const patch of patchesOf(variable)) {
    const label = stableStringify(patch.value);
    candidates.push({ label, patch, score: await scoreCandidate(args, { variable: patch }, label) });
  }
  const best = candidates[argmax(candidates.map((c) => c.score))]!;
  const next = applyPatch(variable, best.patch);
  return { variable: next, candidates: candidates.map(({ label, score }) => ({ label, score })), unchanged: stableStringify(next) === stableStringify(variable) };
}

/** The run-time selector of per-input mode: the candidate output the local reward scores highest. */
export function perInputSelector(component: Component, reward: LocalReward): ValueSelector {
  return async (inputs, candidates) => argmax(await reward.score(component, candidates.map((c) => ({ inputs, outputs: c.outputs }))));
}
