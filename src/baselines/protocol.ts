import type { Component } from "../core/component";
import { LLMComponent } from "../core/llm-component";
import type { MetaModels, Preset } from "../core/method";
import type { CompoundSystem } from "../core/system";
import { resolveConfig, type OptimasConfig } from "../optimas/config";
import { trainSample } from "../core/sample-indices";

/**
 * What every baseline shares with Optimas so that a comparison changes only the method, read from
 * the Optimas configuration of the preset rather than restated: the validation measurement (the
 * first `valSize` validation examples, `valRepeats` passes at fixed sample indices), the
 * rules of the validation gate (the paired gain must exceed `acceptTolerance` and
 * `acceptStdErrors` standard errors; the incumbent's re-measurement cap; sequential rejection), the proposer model of the meta-skills (`metaModel`) and the
 * concurrency.
 */
export type SharedProtocol = Pick<OptimasConfig, "valSize" | "valRepeats" | "acceptTolerance" | "acceptStdErrors" | "incumbentPassCap" | "earlyRejectStdErrors" | "metaModel" | "concurrency">;

export function sharedProtocol(preset: Preset, models: MetaModels): SharedProtocol {
  const { valSize, valRepeats, acceptTolerance, acceptStdErrors, incumbentPassCap, earlyRejectStdErrors, metaModel, concurrency } = resolveConfig(preset, models);
  return { valSize, valRepeats, acceptTolerance, acceptStdErrors, incumbentPassCap, earlyRejectStdErrors, metaModel, concurrency };
}

/** Sample index of the training-minibatch runs baselines score candidates with (validation has its own). */
export const TRAIN_SAMPLE_INDEX = trainSample(0);

/** The skill of the component a meta-prompt is about (SimLM routing metadata; real endpoints ignore it). */
export function targetSkill(component: Component): string | undefined {
  return component instanceof LLMComponent ? component.skill : undefined;
}

/** Components whose variable is an instruction (what prompt optimizers can change). */
export function promptComponents(system: CompoundSystem): Component[] {
  return system.components.filter((c) => c.variable?.kind === "prompt");
}
