import type { ComponentOverride } from "../../core/context";
import type { Fields } from "../../core/json";
import { mapLimit } from "../../core/concurrency";
import { mean } from "../../core/stats";
import type { LocalOptimizerArgs } from "./types";

/**
 * Mean local reward of the component's outputs under `override` on the training rows. The final
 * component can instead be scored by the global metric (the reference's shortcut, §7.5).
 */
export async function scoreCandidate(args: LocalOptimizerArgs, override: ComponentOverride, label: string): Promise<number> {
  const { system, component, rows, reward, ctx, config } = args;
  const callCtx = ctx.withStage("optimize").withOverrides({ [component.name]: override });
  const outputs: Fields[] = await mapLimit(rows, config.concurrency, async (row) => {
    const { outputs: out } = await component.call(row.inputs, callCtx.withExample(row.example.id));
    return out;
  });
  const isFinal = system.indexOf(component.name) === system.components.length - 1;
  if (isFinal && config.finalComponentScoring === "global-metric") {
    return mean(await Promise.all(rows.map((row, i) => system.scoreOutputs({ ...row.inputs, ...outputs[i]! }, row.example))));
  }
  const scores = await reward.score(component, rows.map((row, i) => ({ inputs: row.inputs, outputs: outputs[i]! })));
  ctx.tracer.event("candidate", { component: component.name, label, score: mean(scores) });
  return mean(scores);
}
