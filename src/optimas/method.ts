import type { Method, MethodArgs, MethodOutcome, MethodRole } from "../core/method";
import type { OptimasConfig, OptimasKnobs } from "./config";
import { resolveOptimasOptions } from "./options";
import { judgeReward } from "./judge-reward";
import { BudgetExceededError } from "../core/budget";
import { runOptimas, type Checkpoint } from "./optimize";
import { tallyAccuracy } from "./alignment";

/** Optimas and its ablations as suite methods: one loop, different configurations. */
function optimasMethod(id: string, role: MethodRole, title: string, source: string, fixed: Partial<OptimasKnobs>): Method<OptimasKnobs> {
  return {
    id,
    title,
    role,
    source,
    notApplicable: (system) => (system.optimizableComponents.length === 0 ? "the system has no optimizable component" : null),
    resolveOptions: (preset, options) => resolveOptimasOptions(id, fixed, preset, options),
    async run(args: MethodArgs<OptimasKnobs>): Promise<MethodOutcome> {
      const config: OptimasConfig = { ...args.options, metaModel: args.models.metaModel, judgeModel: args.models.judgeModel };
      const outcome = await runOptimas({
        system: args.system,
        train: args.train,
        val: args.val,
        ctx: args.ctx,
        config,
        runDir: args.runDir,
        runCap: args.runCap,
        makeLocalReward: config.localReward === "judge" ? () => judgeReward(args.ctx, config.judgeModel) : undefined,
        onEvent: (e) =>
          args.log(
            e.kind === "stage"
              ? e.stage
              : e.record.skipped
                ? `${iterationOf(e.record.iteration, e.total, args.runCap, args.ctx.budget.spent.systemRuns)} ${e.record.component}: LRF head at chance (pair accuracy ${e.record.lrfAlignment.accuracy?.toFixed(3) ?? "–"} on ${e.record.lrfAlignment.pairs} pairs): pairs collected, nothing optimized`
                : `${iterationOf(e.record.iteration, e.total, args.runCap, args.ctx.budget.spent.systemRuns)} ${e.record.component}: val ${e.record.valBefore.toFixed(4)} → ${e.record.valAfter.toFixed(4)} ${e.record.accepted ? "accepted" : "rejected"}`,
          ),
      }).catch((err: unknown) => overBudgetAtStart(err, args));
      if (!("checkpoint" in outcome)) return outcome;
      const cp = outcome.checkpoint;
      const backend = outcome.lrf.backend;
      outcome.lrf.dispose();
      return {
        evalCtx: outcome.evalCtx,
        status: cp.status === "running" ? "finished" : cp.status,
        valBefore: cp.initialVal,
        valAfter: cp.best.score,
        iterations: cp.history.length,
        accepted: cp.history.filter((h) => h.accepted).length,
        lrfPairAccuracy: freshPairAccuracy(cp).overall,
        extra: { tf_backend: backend, per_input: cp.perInput, failures: cp.failures, lrf_fresh_pair_accuracy: freshPairAccuracy(cp).perComponent },
      };
    },
  };
}

/**
 * "iteration 5/20", or under a shared run cap, where the iteration count is lifted and the cap
 * ends the run, "iteration 49 (312.5/500 system runs)".
 */
function iterationOf(iteration: number, total: number, runCap: number | undefined, systemRuns: number): string {
  return runCap === undefined ? `iteration ${iteration}/${total}` : `iteration ${iteration} (${Number(systemRuns.toFixed(1))}/${runCap} system runs)`;
}

/**
 * The LRF's on-policy fresh-pair accuracy, overall and per component with its pair count: every
 * iteration's fresh pairs, measured before the head adapted on them. (The held-out share of the
 * initial pairs, reported before, came from 4–32 pairs: STaRK showed 1.000 from 6.)
 */
function freshPairAccuracy(cp: Checkpoint): { overall: number | null; perComponent: Record<string, { accuracy: number | null; pairs: number }> } {
  const tallies = Object.entries(cp.freshAlignment ?? {});
  const credit = tallies.reduce((a, [, t]) => a + t.credit, 0);
  const pairs = tallies.reduce((a, [, t]) => a + t.pairs, 0);
  return {
    overall: pairs > 0 ? credit / pairs : null,
    perComponent: Object.fromEntries(tallies.map(([c, t]) => [c, { accuracy: tallyAccuracy(t), pairs: t.pairs }])),
  };
}

/**
 * Ablations whose local reward gets no on-policy alignment measurement (no fresh pairs without
 * adaptation; the judge is not the LRF) select and optimize as before alignment weighting, rather
 * than skipping every component for want of evidence.
 */
const UNMEASURED_REWARD: Partial<OptimasKnobs> = { selection: "fresh-gap", requireAlignedLrf: false };

/**
 * A shared cap that refuses the initialization (offline collection, LRF training) before the first
 * checkpoint leaves the unoptimized system, whose trajectory start is already written: the method
 * ends on its budget there (a resume with a larger cap starts it again); anything else propagates.
 */
function overBudgetAtStart(err: unknown, args: MethodArgs): MethodOutcome {
  if (!(err instanceof BudgetExceededError && err.scope === "optimize" && !args.runDir.exists("checkpoint.json"))) throw err;
  return { evalCtx: args.ctx, status: "budget", valBefore: null, valAfter: null, iterations: 0, accepted: 0, lrfPairAccuracy: null };
}

export const OPTIMAS_METHODS: readonly Method[] = [
  optimasMethod("optimas", "optimas", "Optimas", "Optimas (Wu et al. 2025): globally aligned local rewards, fixes of the reference's flaws as defaults", {}),
  optimasMethod("optimas-no-adapt", "ablation", "Optimas w/o LRF adaptation", "ablation: the LRF is trained once offline, never adapted on on-policy data", { adaptLrf: false, ...UNMEASURED_REWARD }),
  optimasMethod("optimas-judge", "ablation", "Optimas w/ LLM-judge reward", "ablation: local optimizers maximize an LLM judge (judge.score) instead of the LRF", { localReward: "judge", ...UNMEASURED_REWARD }),
  optimasMethod("optimas-no-gate", "ablation", "Optimas w/o validation gate", "ablation: every local update is kept without the global validation check", { validationGate: false }),
];
