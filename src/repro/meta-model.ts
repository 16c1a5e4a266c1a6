import { UsageError } from "../core/failure";
import type { MetaModels } from "../core/method";
import type { BackendKind } from "../systems/settings";

/**
 * The meta-model (proposals, critiques) and judge model of a run, per backend: SimLM uses its own
 * `sim-l`; a real endpoint has no default, because any name this project guessed would either not
 * exist there or bill a model the user did not choose. The judge defaults to the meta-model.
 */
const DEFAULT_META_MODEL: Record<BackendKind, string | null> = { simlm: "sim-l", openai: null };

export interface GivenMetaModels {
  metaModel?: string;
  judgeModel?: string;
}

/**
 * The models a run uses: the given ones, else the backend's defaults. `where` names how the user
 * gives them (flags or a suite file), for the one-line error when a backend has no default.
 */
export function resolveMetaModels(backend: BackendKind, given: GivenMetaModels, where = "--meta-model <model> (and optionally --judge-model <model>)"): MetaModels {
  const metaModel = given.metaModel ?? DEFAULT_META_MODEL[backend];
  if (metaModel === null) {
    throw new UsageError(`backend "${backend}" has no default meta-model: give ${where}, the model that writes instruction proposals, critiques and judge scores; nothing was spent`);
  }
  return { metaModel, judgeModel: given.judgeModel ?? metaModel };
}

/** SimLM's defaults, for library callers and tests that run on SimLM. */
export const SIMLM_META_MODELS: MetaModels = resolveMetaModels("simlm", {});
