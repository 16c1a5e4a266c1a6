import type { Method } from "../core/method";
import { resolveSettings, type SettingsSpec } from "../core/method-options";
import { shuffled } from "../core/random";
import { mean } from "../core/stats";
import { policyRows, sampleAndScore, trainableComponents } from "./policy-rollouts";
import { runBaseline } from "./session";
import { roundRollout } from "../core/sample-indices";

/**
 * REINFORCE (Williams 1992) for the local models, as the paper's Amazon baseline: each trainable
 * component's policy is trained directly on the global reward — sampled outputs are rolled out
 * through the rest of the system and scored by the global metric — instead of on a local reward.
 *
 * Adapted: the advantage subtracts a per-input mean baseline (the mean reward of that input's own
 * samples), as Optimas's policy optimizer does, so the two differ only in the reward; components
 * are trained one after another from their current weights, and each trained policy is kept only
 * if it passes the shared validation gate. Not applicable to a system without `weights`.
 */

export interface ReinforceSettings {
  /** Policy updates per trainable component (a fresh training batch each). */
  epochs: number;
  /** Training inputs per epoch. */
  batchSize: number;
  /** Sampled outputs per input, each rolled out and scored by the global metric. */
  samples: number;
  learningRate: number;
}

export const REINFORCE_SETTINGS: SettingsSpec<ReinforceSettings> = {
  schema: { epochs: { type: "integer", min: 1 }, batchSize: { type: "integer", min: 1 }, samples: { type: "integer", min: 1 }, learningRate: { type: "number", min: 0 } },
  presets: {
    quick: { epochs: 8, batchSize: 12, samples: 4, learningRate: 0.05 },
    paper: { epochs: 20, batchSize: 16, samples: 4, learningRate: 0.05 },
  },
};

export const reinforceMethod: Method<ReinforceSettings> = {
  id: "reinforce",
  title: "REINFORCE",
  role: "baseline",
  source: "REINFORCE (Williams 1992) on local models with the global reward, per-input mean baseline",
  notApplicable: (system) => (trainableComponents(system).length === 0 ? "the system has no trainable local model (weights variable)" : null),
  resolveOptions: (preset, options) => resolveSettings("reinforce", REINFORCE_SETTINGS, preset, options),
  run: (args) =>
    runBaseline("reinforce", args, async (session) => {
      const { system, ctx, train } = session.args;
      const settings = args.options;
      const concurrency = session.protocol.concurrency;
      for (const component of trainableComponents(system)) {
        const variable = component.variable;
        if (variable?.kind !== "weights") continue;
        const policy = await component.policyFrom(variable.value);
        const rng = ctx.rng(`reinforce/${component.name}`);
        try {
          for (let epoch = 1; epoch <= settings.epochs; epoch++) {
            const runCtx = ctx.withStage("optimize").withSample(roundRollout(epoch, 0));
            const batch = shuffled(train, rng).slice(0, settings.batchSize);
            const rows = await policyRows(system, component.name, batch, runCtx, concurrency, session.failures.collection);
            const scored = await sampleAndScore(system, component.name, policy, rows, { samples: settings.samples, rng, ctx: runCtx, concurrency, failures: session.failures.collection });
            const updates = scored.flatMap((samples) => {
              const baseline = mean(samples.map((s) => s.reward));
              return samples.map((s) => ({ inputs: s.inputs, action: s.action, advantage: s.reward - baseline }));
            });
            const loss = updates.length > 0 ? await policy.reinforce(updates, settings.learningRate) : null;
            const reward = mean(scored.flat().map((s) => s.reward));
            const last = epoch === settings.epochs;
            const gate = last ? await session.gate({ [component.name]: { kind: "weights", value: policy.weights() } }) : undefined;
            session.step(
              { component: component.name, epoch, meanReward: reward, loss, ...gate },
              `${component.name} epoch ${epoch}: mean global reward ${reward.toFixed(4)}${gate ? `; val ${gate.valBefore.toFixed(4)} → ${gate.valAfter.toFixed(4)} ${gate.accepted ? "accepted" : "rejected"}` : ""}`,
            );
          }
        } finally {
          policy.dispose();
        }
      }
    }),
};
