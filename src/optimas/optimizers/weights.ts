import type { Fields, Json } from "../../core/json";
import { isTrainable } from "../../core/policy";
import { mean } from "../../core/stats";
import { shuffled } from "../../core/random";
import type { LocalOptimizerArgs, LocalOptimizerResult } from "./types";

/**
 * `weights` variables: REINFORCE with a per-input mean baseline, the LRF as reward. Chosen over
 * PPO-clip because LRF rewards are cheap, so fresh on-policy samples every step cost little and
 * the importance-ratio machinery of PPO (reusing stale samples) buys nothing; the per-input
 * baseline (mean reward of the input's own samples) removes most of the variance. Training starts
 * from the component's current weights (fix of §7.6's fresh-adapter restart).
 */
export async function optimizeWeights(args: LocalOptimizerArgs): Promise<LocalOptimizerResult> {
  const { component, rows, reward, ctx, config, round } = args;
  const variable = component.variable;
  if (variable?.kind !== "weights" || !isTrainable(component)) throw new Error(`component "${component.name}" has no trainable weights`);
  const policy = await component.policyFrom(variable.value);
  const rng = ctx.rng(`policy/${round}/${component.name}`);
  const candidates = [];
  try {
    for (let epoch = 1; epoch <= config.policyEpochs; epoch++) {
      const batch: { inputs: Fields; action: Json; advantage: number }[] = [];
      const epochRewards: number[] = [];
      for (const row of shuffled(rows, rng)) {
        const samples = Array.from({ length: config.policySamples }, () => policy.sample(row.inputs, rng));
        const rewards = await reward.score(component, samples.map((s) => ({ inputs: row.inputs, outputs: s.outputs })));
        const baseline = mean(rewards);
        samples.forEach((s, k) => batch.push({ inputs: row.inputs, action: s.action, advantage: rewards[k]! - baseline }));
        epochRewards.push(baseline);
      }
      await policy.reinforce(batch, config.policyLearningRate);
      candidates.push({ label: `epoch ${epoch}`, score: mean(epochRewards) });
    }
    return { variable: { kind: "weights", value: policy.weights() }, candidates };
  } finally {
    policy.dispose();
  }
}
