import type { Fields } from "../core/json";
import { stableStringify } from "../core/json";
import type { Component } from "../core/component";
import type { RunContext, ComponentOverride } from "../core/context";
import type { CompoundSystem, Example } from "../core/system";
import { enumerateSpace } from "../core/variable";
import { mapLimit } from "../core/concurrency";
import { mean } from "../core/stats";
import { shuffled } from "../core/random";
import type { FailureCounts } from "../core/failure";
import { rerunTransient, StageFailures } from "../core/run-failures";
import type { PreferencePair } from "../reward/types";
import type { OptimasConfig } from "./config";
import { roundDraw, roundRollout } from "../core/sample-indices";

/**
 * Preference data for one component (§3 of the algorithm spec, with its flaws fixed): run the
 * system, freeze the upstream context, re-sample the component, roll the downstream components out
 * with the current variables, score every candidate with the global metric, and pair them. A run
 * or call that fails (after re-runs of transient failures) is counted in the collection's
 * `failureCounts` and left out: an example whose base run failed gives no candidates, a candidate
 * is scored by the mean of its rollouts that ran, and a candidate none of whose rollouts ran is dropped.
 */

export type CollectOptions = Pick<OptimasConfig, "numSamples" | "numRollouts" | "minGap" | "pairRule" | "groundTruthInjection" | "sampleTemperature" | "concurrency"> & {
  /** Keeps this call's sample indices apart from other collections (iteration number, say). */
  round: number;
};

export interface CollectedPair extends PreferencePair {
  exampleId: string;
}

export interface Candidate {
  outputs: Fields;
  /** The variable patch the candidate was drawn with (params/model sampling), if any. */
  override?: ComponentOverride;
  score: number;
  /** Rollouts that failed (left out of `score`). */
  failures: number;
}

export interface CollectedExample {
  exampleId: string;
  /** The component's inputs under the current upstream variables. */
  inputs: Fields;
  candidates: Candidate[];
}

export interface Collection {
  component: string;
  examples: CollectedExample[];
  pairs: CollectedPair[];
  /** System runs of the collection (base runs and rollouts) and the runs and candidate calls that failed, by cause. */
  failureCounts: FailureCounts;
}

/** How one candidate is drawn: a variable or config override, and for LLM re-samples a fresh sample index. */
interface Draw {
  override: ComponentOverride;
  sampleIndex?: number;
}

/** Candidate draws for one example: distinct values of a search space, or distinct sample indices. */
function candidateDraws(component: Component, options: CollectOptions, ctx: RunContext, exampleId: string): Draw[] {
  const variable = component.variable;
  const rng = ctx.rng(`collect/${options.round}/${component.name}/${exampleId}`);
  if (variable?.kind === "params") {
    const current = stableStringify(variable.value);
    const values = enumerateSpace(variable.space).filter((v) => stableStringify({ ...variable.value, ...v }) !== current);
    return shuffled(values, rng).slice(0, options.numSamples).map((value) => ({ override: { variable: { kind: "params", value } } }));
  }
  if (variable?.kind === "model") {
    const others = variable.choices.filter((m) => m !== variable.value);
    return shuffled(others, rng).slice(0, options.numSamples).map((value) => ({ override: { variable: { kind: "model", value } } }));
  }
  const config = options.sampleTemperature !== null && "temperature" in component.config ? { temperature: options.sampleTemperature } : undefined;
  return Array.from({ length: options.numSamples }, (_, s) => ({ override: { config }, sampleIndex: roundDraw(options.round, s) }));
}

/** Every ordered pair with a gap above `minGap`; the reference kept only later-listed winners. */
export function formPairs(component: string, exampleId: string, inputs: Fields, candidates: readonly Candidate[], options: Pick<CollectOptions, "minGap" | "pairRule">): CollectedPair[] {
  const pairs: CollectedPair[] = [];
  for (let a = 0; a < candidates.length; a++) {
    for (let b = 0; b < candidates.length; b++) {
      if (a === b) continue;
      if (options.pairRule === "reference-later-wins" && a < b) continue;
      const ca = candidates[a]!;
      const cb = candidates[b]!;
      if (ca.score - cb.score > options.minGap) {
        pairs.push({ component, exampleId, inputs, chosen: ca.outputs, rejected: cb.outputs, scoreChosen: ca.score, scoreRejected: cb.score });
      }
    }
  }
  return pairs;
}

export async function collectPreferences(
  system: CompoundSystem,
  componentName: string,
  examples: readonly Example[],
  ctx: RunContext,
  options: CollectOptions,
): Promise<Collection> {
  const index = system.indexOf(componentName);
  const component = system.component(componentName);
  const isLast = index === system.components.length - 1;
  const collectCtx = ctx.withStage("collect");
  // At most: a base run per example, and rollouts of its draws and its original output.
  const plannedRuns = examples.length * (1 + (isLast ? 0 : (options.numSamples + 1) * options.numRollouts));
  const stage = new StageFailures("collect", ctx.lm.providerId, plannedRuns);
  const counts = stage.counts;

  const rollout = async (example: Example, context: Fields): Promise<{ score: number; failures: number } | undefined> => {
    // The last component's candidates are scored once: the metric is deterministic.
    const runs = isLast ? 1 : options.numRollouts;
    const scores: number[] = [];
    let failed = 0;
    for (let r = 0; r < runs; r++) {
      if (!isLast) counts.recordRun();
      try {
        const exCtx = collectCtx.withExample(example.id).withSample(roundRollout(options.round, r));
        let outputs = pickFinal(system, context);
        if (!isLast) {
          const result = await system.runFrom(index + 1, context, exCtx, counts);
          stage.recordParse(result.trace);
          outputs = result.outputs;
        }
        scores.push(await system.scoreOutputs(outputs, example));
      } catch (err) {
        stage.record(err);
        failed++;
      }
    }
    return scores.length > 0 ? { score: mean(scores), failures: failed } : undefined;
  };

  const perExample = await mapLimit(examples, options.concurrency, async (example) => {
    const exCtx = collectCtx.withExample(example.id).withSample(roundRollout(options.round, 0));
    let base;
    counts.recordRun();
    try {
      base = await system.run(example, exCtx, counts);
      stage.recordParse(base.trace);
    } catch (err) {
      stage.record(err);
      return undefined;
    }
    const record = base.trace[index]!;
    const upstream: Fields = { ...base.context };
    for (const later of system.components.slice(index)) for (const f of later.outputFields) delete upstream[f];
    for (const f of Object.keys(example.fields)) if (system.requiredInputFields.includes(f)) upstream[f] = example.fields[f]!;

    const drawn: { outputs: Fields; override?: ComponentOverride }[] = [];
    for (const { override, sampleIndex } of candidateDraws(component, options, ctx, example.id)) {
      let callCtx = exCtx.withOverrides({ [componentName]: override });
      if (sampleIndex !== undefined) callCtx = callCtx.withSample(sampleIndex);
      try {
        const { outputs } = await rerunTransient(() => component.call(upstream, callCtx));
        drawn.push({ outputs, override: override.variable ? override : undefined });
      } catch (err) {
        stage.record(err);
      }
    }
    // The original output joins the samples; duplicates (same outputs) are dropped, first kept.
    drawn.push({ outputs: record.outputs });
    if (options.groundTruthInjection && isLast && system.groundTruthOutputs) drawn.push({ outputs: system.groundTruthOutputs(example) });
    const seen = new Set<string>();
    const unique = drawn.filter((d) => {
      const key = stableStringify(d.outputs);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });

    const candidates: Candidate[] = [];
    for (const d of unique) {
      const scored = await rollout(example, { ...upstream, ...d.outputs });
      if (scored) candidates.push({ outputs: d.outputs, override: d.override, ...scored });
    }
    return { exampleId: example.id, inputs: record.inputs, candidates } satisfies CollectedExample;
  });

  const collected = perExample.filter((e): e is CollectedExample => e !== undefined);
  const pairs = collected.flatMap((e) => formPairs(componentName, e.exampleId, e.inputs, e.candidates, options));
  return { component: componentName, examples: collected, pairs, failureCounts: stage.finish() };
}

function pickFinal(system: CompoundSystem, context: Fields): Fields {
  const out: Fields = {};
  for (const f of system.finalOutputFields) out[f] = context[f]!;
  return out;
}
