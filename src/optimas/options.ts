import type { Preset } from "../core/method";
import { checkOptions, OptionError, type MethodOptions, type OptionSchema } from "../core/method-options";
import { resolveKnobs, type OptimasKnobs } from "./config";

/**
 * The accepted values of every Optimas knob (each documented in config.ts), so that `--option` and
 * a suite's `methodOptions` are checked before a run starts. A knob added to `OptimasKnobs`
 * without its kind here does not compile.
 */
export const OPTIMAS_SCHEMA: OptionSchema<OptimasKnobs> = {
  iterations: { type: "integer", min: 1 },
  initialTrainSize: { type: "integer", min: 1 },
  perIterationNewData: { type: "integer", min: 0 },
  valSize: { type: "integer", min: 1 },
  valRepeats: { type: "integer", min: 1 },
  numSamples: { type: "integer", min: 1 },
  numRollouts: { type: "integer", min: 1 },
  minGap: { type: "number", min: 0 },
  pairRule: { type: "choice", values: ["all-ordered", "reference-later-wins"] },
  groundTruthInjection: { type: "boolean" },
  sampleTemperature: { type: "number", min: 0, nullable: true },
  lrfEpochs: { type: "integer", min: 1 },
  adaptEpochs: { type: "integer", min: 0 },
  lrfLearningRate: { type: "number", min: 0 },
  marginMode: { type: "choice", values: ["minmax", "raw", "none"] },
  adaptLrf: { type: "boolean" },
  freshData: { type: "choice", values: ["always", "after-first-accept"] },
  replayBufferSize: { type: "integer", min: 1 },
  adaptTrainSize: { type: "integer", min: 1 },
  heldOutShare: { type: "number", min: 0, max: 1 },
  selection: { type: "choice", values: ["aligned-fresh-gap", "fresh-gap", "reference-offline-gap"] },
  selectionTemperature: { type: "number", min: 0 },
  cooldown: { type: "integer", min: 0 },
  alignmentZ: { type: "number", min: 0 },
  selectionExploration: { type: "number", min: 0 },
  explorationTurns: { type: "integer", min: 0 },
  requireAlignedLrf: { type: "boolean" },
  promptCandidates: { type: "integer", min: 1 },
  promptDemos: { type: "integer", min: 0 },
  localTrainSize: { type: "integer", min: 1 },
  localSamples: { type: "integer", min: 1 },
  searchMode: { type: "choice", values: ["global", "per-input"] },
  finalComponentScoring: { type: "choice", values: ["lrf", "global-metric"] },
  policyEpochs: { type: "integer", min: 0 },
  policySamples: { type: "integer", min: 1 },
  policyLearningRate: { type: "number", min: 0 },
  acceptTolerance: { type: "number", min: 0 },
  acceptStdErrors: { type: "number", min: 0 },
  incumbentPassCap: { type: "integer", min: 1 },
  earlyRejectStdErrors: { type: "number", min: 0 },
  validationGate: { type: "boolean" },
  localReward: { type: "choice", values: ["lrf", "judge"] },
  concurrency: { type: "integer", min: 1 },
};

/**
 * The knobs of Optimas or one of its ablations: the preset's, the ablation's fixed values, then the
 * user's options. A knob the ablation fixes can only be given its fixed value (a resume passes every
 * recorded knob); another value belongs to another method.
 */
export function resolveOptimasOptions(method: string, fixed: Partial<OptimasKnobs>, preset: Preset, options: MethodOptions): OptimasKnobs {
  const given = checkOptions(method, OPTIMAS_SCHEMA, options);
  for (const [key, value] of Object.entries(fixed)) {
    if (key in given && given[key as keyof OptimasKnobs] !== value) throw new OptionError(method, key, `is fixed to ${JSON.stringify(value)} by this ablation (set it on method "optimas" instead)`);
  }
  return resolveKnobs(preset, { ...fixed, ...given });
}
