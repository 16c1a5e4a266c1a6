import { RunDir } from "../core/run-dir";
import { judgeReward } from "../optimas/judge-reward";
import type { Checkpoint } from "../optimas/optimize";
import { usablePairs } from "../reward/pairs";
import type { PreferencePair } from "../reward/types";
import { resolveMetaModels } from "./meta-model";
import type { OptimizeJobSpec } from "./optimize-job";
import { createRuntime, separateContext } from "./runtime";

/**
 * The LLM judge's pair-ranking accuracy on the held-out preference pairs of a run, the same pairs
 * its LRF's `lrf_pair_accuracy` is measured on (the paper's Tab. 4 comparison). Judge calls go to
 * the run's own endpoint and world, outside the method's budget.
 */

export const JUDGE_ACCURACY_FILE = "judge-pair-accuracy.json";

export interface JudgeAccuracy {
  /** Share of pairs where the judge scores the preferred output higher (a tie counts 0.5); null without pairs. */
  accuracy: number | null;
  pairs: number;
  model: string;
}

/** Credit of one pair, with the LRF's rule: 1 when the chosen output scores higher, 0.5 on a tie. */
export function pairCredit(chosen: number, rejected: number): number {
  return chosen > rejected ? 1 : chosen === rejected ? 0.5 : 0;
}

export async function measureJudgeAccuracy(spec: OptimizeJobSpec, runDir: RunDir): Promise<JudgeAccuracy> {
  const checkpoint = runDir.read<Checkpoint>("checkpoint.json", "checkpoint");
  const model = resolveMetaModels(spec.backend, spec).judgeModel;
  const rt = createRuntime({ system: spec.system, backend: spec.backend, settings: spec.settings, world: spec.world, seed: spec.seed, model: spec.model, lm: spec.lm });
  const judge = judgeReward(separateContext(rt).ctx, model);
  const byComponent = new Map<string, PreferencePair[]>();
  for (const p of usablePairs(checkpoint.heldOut).pairs) byComponent.set(p.component, [...(byComponent.get(p.component) ?? []), p]);
  let credit = 0;
  let pairs = 0;
  for (const [name, list] of byComponent) {
    // One batch per component: chosen and rejected outputs interleaved.
    const scores = await judge.score(
      rt.system.component(name),
      list.flatMap((p) => [
        { inputs: p.inputs, outputs: p.chosen },
        { inputs: p.inputs, outputs: p.rejected },
      ]),
    );
    list.forEach((_, i) => (credit += pairCredit(scores[2 * i]!, scores[2 * i + 1]!)));
    pairs += list.length;
  }
  const result: JudgeAccuracy = { accuracy: pairs > 0 ? credit / pairs : null, pairs, model };
  runDir.write(JUDGE_ACCURACY_FILE, result);
  return result;
}
