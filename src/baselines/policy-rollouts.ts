import type { Component } from "../core/component";
import type { RunContext } from "../core/context";
import { mapLimit } from "../core/concurrency";
import type { Fields, Json } from "../core/json";
import { isTrainable, type Policy, type TrainableComponent } from "../core/policy";
import type { Rng } from "../core/random";
import type { CompoundSystem, Example } from "../core/system";
import type { FailureCounts } from "../core/failure";
import { StageFailures } from "../core/run-failures";

/**
 * Samples from a local model's policy scored by the global reward: run the system once to get the
 * component's inputs, draw several actions from the policy on them, substitute each sampled output
 * for the component's and run the rest of the system (one system run per sample), scoring the
 * final outputs with the global metric. Shared by REINFORCE and behaviour cloning of `weights`.
 * A run that fails is counted in `failures` and left out: no row, or no sample (never a reward of 0).
 */

export type TrainableWeights = Component & TrainableComponent;

export function trainableComponents(system: CompoundSystem): TrainableWeights[] {
  return system.components.filter((c): c is TrainableWeights => c.variable?.kind === "weights" && isTrainable(c));
}

/** One input of the component, with everything upstream of it in that run. */
export interface PolicyRow {
  example: Example;
  inputs: Fields;
  /** Fields known before the component runs (example inputs and upstream outputs). */
  upstream: Fields;
}

export interface ScoredSample {
  inputs: Fields;
  action: Json;
  reward: number;
}

export async function policyRows(
  system: CompoundSystem,
  component: string,
  examples: readonly Example[],
  ctx: RunContext,
  concurrency: number,
  failures: FailureCounts,
): Promise<PolicyRow[]> {
  const index = system.indexOf(component);
  const stage = new StageFailures("collect", ctx.lm.providerId, examples.length, failures);
  const rows = await mapLimit(examples, concurrency, async (example): Promise<PolicyRow | undefined> => {
    stage.counts.recordRun();
    try {
      const base = await system.run(example, ctx, stage.counts);
      stage.recordParse(base.trace);
      const upstream: Fields = { ...base.context };
      for (const later of system.components.slice(index)) for (const f of later.outputFields) delete upstream[f];
      return { example, inputs: base.trace[index]!.inputs, upstream };
    } catch (err) {
      stage.record(err);
      return undefined; // a run that fails upstream gives the policy no input to learn on
    }
  });
  stage.finish();
  return rows.filter((r): r is PolicyRow => r !== undefined);
}


/**
 * `samples` draws per row (drawn in row order from `rng`, so the result does not depend on timing),
 * each scored by a rollout; samples whose rollout failed are left out, and rows left without samples.
 */
export async function sampleAndScore(
  system: CompoundSystem,
  component: string,
  policy: Policy,
  rows: readonly PolicyRow[],
  options: { samples: number; rng: Rng; ctx: RunContext; concurrency: number; failures: FailureCounts },
): Promise<ScoredSample[][]> {
  const index = system.indexOf(component);
  const drawn = rows.map((row) => Array.from({ length: options.samples }, () => ({ row, ...policy.sample(row.inputs, options.rng) })));
  const isLast = index === system.components.length - 1;
  const stage = new StageFailures("collect", options.ctx.lm.providerId, isLast ? 0 : rows.length * options.samples, options.failures);
  const scored = await mapLimit(drawn, options.concurrency, async (samples) => {
    const rewards = await Promise.all(
      samples.map(({ row, outputs }, k) => rolloutReward(system, index, row, outputs, options.ctx.withExample(row.example.id).withSample(options.ctx.sampleIndex + k), stage)),
    );
    return samples.flatMap(({ row, action }, k) => {
      const reward = rewards[k];
      return reward === undefined ? [] : [{ inputs: row.inputs, action, reward }];
    });
  });
  stage.finish();
  return scored.filter((samples) => samples.length > 0);
}

/** The global reward of one sampled output, or undefined when its rollout failed (counted in `stage`). */
async function rolloutReward(system: CompoundSystem, index: number, row: PolicyRow, outputs: Fields, ctx: RunContext, stage: StageFailures): Promise<number | undefined> {
  const context = { ...row.upstream, ...outputs };
  const isLast = index === system.components.length - 1;
  if (!isLast) stage.counts.recordRun();
  try {
    let final = pick(context, system.finalOutputFields);
    if (!isLast) {
      const result = await system.runFrom(index + 1, context, ctx, stage.counts);
      stage.recordParse(result.trace);
      final = result.outputs;
    }
    return await system.scoreOutputs(final, row.example);
  } catch (err) {
    stage.record(err);
    return undefined;
  }
}

function pick(context: Fields, names: readonly string[]): Fields {
  return Object.fromEntries(names.map((n) => [n, context[n]!]));
}
