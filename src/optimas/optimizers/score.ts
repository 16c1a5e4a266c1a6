import type { ComponentOverride } from "../../core/context";
import type { Fields } from "../../core/json";
import { mapLimit } from "../../core/concurrency";
import { rerunTransient, StageFailures } from "../../core/run-failures";
import { mean } from "../../core/stats";
import { LOCAL_SAMPLE_INDEX } from "../input-pool";
import type { CompoundSystem } from "../../core/system";
import type { OptimasConfig } from "../config";
import type { InputRow, LocalOptimizerArgs } from "./types";

/**
 * Mean local reward of the component's outputs under `override` on the pool rows, `localSamples`
 * outputs per row at the same sample indices for every candidate (so candidates differ by their
 * variable, not their draws). The final component can instead be scored by the global metric (the
 * reference's shortcut, §7.5).
 * A call that fails transiently is re-run with the same sample index; one that still fails is
 * counted and its row left out of the mean, never scored.
 */
/** The final component under "global-metric" scoring: its candidates are scored exactly, not by its LRF head. */
export function scoredByMetric(system: CompoundSystem, componentName: string, config: Pick<OptimasConfig, "finalComponentScoring">): boolean {
  return config.finalComponentScoring === "global-metric" && system.indexOf(componentName) === system.components.length - 1;
}

export async function scoreCandidate(args: LocalOptimizerArgs, override: ComponentOverride, label: string): Promise<number> {
  const { system, component, rows, reward, ctx, config } = args;
  const callCtx = ctx.withStage("optimize").withOverrides({ [component.name]: override });
  const draws = rows.flatMap((row) => Array.from({ length: config.localSamples }, (_, s) => ({ row, sampleIndex: LOCAL_SAMPLE_INDEX + s })));
  const stage = new StageFailures("local-optimize", ctx.lm.providerId, draws.length);
  const called = await mapLimit(draws, config.concurrency, async ({ row, sampleIndex }): Promise<{ row: InputRow; outputs: Fields } | null> => {
    stage.counts.recordRun();
    try {
      const { outputs } = await rerunTransient(() => component.call(row.inputs, callCtx.withExample(row.example.id).withSample(sampleIndex)));
      return { row, outputs };
    } catch (err) {
      stage.record(err);
      return null;
    }
  });
  const counts = stage.finish();
  if (!counts.clean) ctx.tracer.event("failure", { component: component.name, label, failures: counts.toJSON() });
  const ok = called.filter((c): c is { row: InputRow; outputs: Fields } => c !== null);
  if (scoredByMetric(system, component.name, config)) {
    return mean(await Promise.all(ok.map(({ row, outputs }) => system.scoreOutputs({ ...row.inputs, ...outputs }, row.example))));
  }
  const scores = await reward.score(component, ok.map(({ row, outputs }) => ({ inputs: row.inputs, outputs })));
  ctx.tracer.event("candidate", { component: component.name, label, score: mean(scores) });
  return mean(scores);
}
