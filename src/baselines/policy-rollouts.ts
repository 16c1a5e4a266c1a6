import type { Component } from "../core/component";
import type { RunContext } from "../core/context";
import { mapLimit } from "../core/concurrency";
import type { Fields, Json } from "../core/json";
import { isTrainable, type Policy, type TrainableComponent } from "../core/policy";
import type { Rng } from "../core/random";
import type { CompoundSystem, Example } from "../core/system";
import { BudgetExceededError } from "../lm/budget";

/**
 * Samples from a local model's policy scored by the global reward: run the system once to get the
 * component's inputs, draw several actions from the policy on them, substitute each sampled output
 * for the component's and run the rest of the system (one system run per sample), scoring the
 * final outputs with the global metric. Shared by REINFORCE and behaviour cloning of `weights`.
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

export async function policyRows(system: CompoundSystem, component: string, examples: readonly Example[], ctx: RunContext, concurrency: number): Promise<PolicyRow[]> {
  const index = system.indexOf(component);
  const rows = await mapLimit(examples, concurrency, async (example): Promise<PolicyRow | undefined> => {
    try {
      const base = await system.run(example, ctx);
      const upstream: Fields = { ...base.context };
      for (const later of system.components.slice(index)) for (const f of later.outputFields) delete upstream[f];
      return { example, inputs: base.trace[index]!.inputs, upstream };
    } catch (err) {
      if (err instanceof BudgetExceededError) throw err;
      return undefined; // a run that fails upstream gives the policy no input to learn on
    }
  });
  return rows.filter((r): r is PolicyRow => r !== undefined);
}

/** `samples` draws per row (drawn in row order from `rng`, so the result does not depend on timing), each scored by a rollout. */
export async function sampleAndScore(
  system: CompoundSystem,
  component: string,
  policy: Policy,
  rows: readonly PolicyRow[],
  options: { samples: number; rng: Rng; ctx: RunContext; concurrency: number },
): Promise<ScoredSample[][]> {
  const index = system.indexOf(component);
  const drawn = rows.map((row) => Array.from({ length: options.samples }, () => ({ row, ...policy.sample(row.inputs, options.rng) })));
  return mapLimit(drawn, options.concurrency, async (samples) =>
    Promise.all(
      samples.map(async ({ row, outputs, action }, k) => ({
        inputs: row.inputs,
        action,
        reward: await rolloutReward(system, index, row, outputs, options.ctx.withExample(row.example.id).withSample(options.ctx.sampleIndex + k)),
      })),
    ),
  );
}

async function rolloutReward(system: CompoundSystem, index: number, row: PolicyRow, outputs: Fields, ctx: RunContext): Promise<number> {
  const context = { ...row.upstream, ...outputs };
  try {
    const final = index === system.components.length - 1 ? pick(context, system.finalOutputFields) : (await system.runFrom(index + 1, context, ctx)).outputs;
    return await system.scoreOutputs(final, row.example);
  } catch (err) {
    if (err instanceof BudgetExceededError) throw err;
    return 0;
  }
}

function pick(context: Fields, names: readonly string[]): Fields {
  return Object.fromEntries(names.map((n) => [n, context[n]!]));
}
