import { createHash } from "node:crypto";
import type { RunContext } from "../core/context";
import type { FailureCounts } from "../core/failure";
import { stableStringify, type Fields } from "../core/json";
import { mapLimit } from "../core/concurrency";
import { rerunTransient, StageFailures } from "../core/run-failures";
import type { CompoundSystem, Example } from "../core/system";

/**
 * The inputs a local optimizer scores its candidates on: one pool per component, built from
 * upstream-only runs on training examples and reused across iterations, so every candidate of
 * every iteration is compared on the same inputs. An upstream-only run executes only the
 * components before the target: k of n components, k/n of a system run (the first component's pool
 * costs nothing). The pool is rebuilt only when something upstream changed (an accepted upstream
 * update, or an upstream component switched to per-input selection), since its inputs would be stale.
 * None of the candidate scoring on the pool costs system runs: the local reward scores it.
 */

/** Local scoring and the pool's upstream runs draw at sample indices from here (train examples only). */
export const LOCAL_SAMPLE_INDEX = 0;

export interface PoolRow {
  exampleId: string;
  inputs: Fields;
}

export interface InputPool {
  /** Digest of the upstream state the rows were computed under. */
  upstreamKey: string;
  rows: PoolRow[];
}

/** Digest of everything upstream of `index` that shapes the component's inputs. */
export function upstreamKey(system: CompoundSystem, index: number, perInput: readonly string[]): string {
  const state = system.stateDict();
  const upstream = system.components.slice(0, index).map((c) => [c.name, state[c.name], perInput.includes(c.name)]);
  return createHash("sha256").update(stableStringify(upstream)).digest("hex");
}

/**
 * The component's inputs on each example, from upstream-only runs; an example whose upstream run
 * fails (after re-runs of transient failures) is counted in `failureCounts` and left out.
 */
export async function buildInputPool(
  system: CompoundSystem,
  componentName: string,
  examples: readonly Example[],
  ctx: RunContext,
  options: { concurrency: number; perInput: readonly string[] },
): Promise<{ pool: InputPool; failureCounts: FailureCounts }> {
  const index = system.indexOf(componentName);
  const target = system.component(componentName);
  // The rows hold exactly the component's inputs, as the pairs its LRF head was trained on do.
  const pick = (context: Fields): Fields => Object.fromEntries(target.inputFields.filter((f) => f in context).map((f) => [f, context[f]!]));
  const upstream = system.components.slice(0, index);
  const share = upstream.length / system.components.length;
  const stage = new StageFailures("input-pool", ctx.lm.providerId, upstream.length === 0 ? 0 : examples.length);
  const poolCtx = ctx.withStage("collect").withSample(LOCAL_SAMPLE_INDEX);
  const rows = await mapLimit(examples, options.concurrency, async (example): Promise<PoolRow | undefined> => {
    const inputs: Fields = {};
    for (const f of system.requiredInputFields) if (f in example.fields) inputs[f] = example.fields[f]!;
    if (upstream.length === 0) return { exampleId: example.id, inputs: pick(inputs) };
    stage.counts.recordRun();
    ctx.budget.reserve("systemRuns", share);
    try {
      const exCtx = poolCtx.withExample(example.id);
      const context = await rerunTransient(
        async () => {
          const merged: Fields = { ...inputs };
          for (const c of upstream) Object.assign(merged, (await c.call(merged, exCtx)).outputs);
          return merged;
        },
        () => stage.counts.recordRerun(),
      );
      return { exampleId: example.id, inputs: pick(context) };
    } catch (err) {
      stage.record(err);
      return undefined;
    }
  });
  return { pool: { upstreamKey: upstreamKey(system, index, options.perInput), rows: rows.filter((r): r is PoolRow => r !== undefined) }, failureCounts: stage.finish() };
}
