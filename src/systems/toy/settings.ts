import { UsageError } from "../../core/failure";
import { MODEL_NAMES } from "../../lm/sim/models";
import type { SettingSpec, SystemSettings } from "../settings";

/**
 * The toy system's settings: the answerer's model choice, so the toy runs on any endpoint under
 * that endpoint's model names (offline: the seven SimLM models, starting at sim-s). The
 * extractor's fixed model is what `--model` (a suite's `model`) sets.
 *
 * - `models`: the answerer's candidate models, in order: `simlm` or a comma-separated list.
 * - `initial-model`: the answerer's starting model, one of `models`.
 */

export interface ToySettings {
  models: readonly string[];
  initialModel: string;
}

export const OFFLINE_TOY: ToySettings = { models: MODEL_NAMES, initialModel: "sim-s" };

/** The candidates a `models` value names, or undefined when it names none. */
function candidates(value: string): readonly string[] | undefined {
  if (value === "simlm") return OFFLINE_TOY.models;
  const models = [...new Set(value.split(",").map((m) => m.trim()).filter(Boolean))];
  return models.length === 0 ? undefined : models;
}

export const TOY_SETTINGS: readonly SettingSpec[] = [
  {
    name: "models",
    description: "the answerer's candidate models, in order: the SimLM models or your endpoint's",
    accepts: { describe: "simlm or a comma-separated list of model names", check: (value) => candidates(value) !== undefined },
    default: "simlm",
  },
  {
    name: "initial-model",
    description: "the answerer's starting model, one of its candidates",
    accepts: { describe: "a model name", check: (value) => value.trim() !== "" },
    default: OFFLINE_TOY.initialModel,
  },
];

/** The toy settings from resolved values; settings not given (a bare `build({})`) take the offline defaults. */
export function toySettings(settings: SystemSettings): ToySettings {
  const models = candidates(settings.models ?? "simlm");
  if (!models) throw new UsageError(`toy: setting "models" names no model (got "${settings.models}")`);
  const initialModel = settings["initial-model"] ?? OFFLINE_TOY.initialModel;
  if (!models.includes(initialModel)) {
    throw new UsageError(`toy: setting "initial-model" is "${initialModel}", which is not among the candidates ${models.join(", ")}; give --set initial-model=<one of them>`);
  }
  return { models, initialModel };
}
