import { PUBMED_EXTRACTIONS, type PubMedExtraction } from "../../metrics/pubmed";
import { MODEL_NAMES } from "../../lm/sim/models";

/**
 * The two settings of the PubMedQA system that differ between offline and online runs, and the
 * environment variables that choose them (the system registry builds systems without arguments):
 *
 * - `OPTIMAS_PUBMED_MODELS`: the candidate models of both model selectors. `simlm` (default): the
 *   seven SimLM models, starting at sim-m; `paper`: the paper's seven OpenAI and Anthropic models,
 *   starting at gpt-4o-mini as in the reference; or a comma-separated list of model names your
 *   endpoint serves, starting at the first.
 * - `OPTIMAS_PUBMED_EXTRACTION`: how the accuracy metric reads the label from the solver's reply:
 *   `first-substring` (default, the reference's rule) or `answer-line`.
 */

/** The reference's MODELS_LIST (optimas-systems.md §2). */
export const PAPER_MODELS = [
  "gpt-4o",
  "gpt-4o-mini",
  "gpt-3.5-turbo-0125",
  "gpt-4-turbo",
  "claude-3-5-haiku-20241022",
  "claude-3-5-sonnet-20241022",
  "claude-3-7-sonnet-20250219",
] as const;

export interface PubMedSettings {
  extraction: PubMedExtraction;
  /** Candidates of both model selectors. */
  models: readonly string[];
  /** The selectors' initial choice (one of `models`). */
  initialModel: string;
}

export const OFFLINE_PUBMED: PubMedSettings = { extraction: "first-substring", models: MODEL_NAMES, initialModel: "sim-m" };

export const PAPER_PUBMED: PubMedSettings = { extraction: "first-substring", models: PAPER_MODELS, initialModel: "gpt-4o-mini" };

export const MODELS_ENV = "OPTIMAS_PUBMED_MODELS";
export const EXTRACTION_ENV = "OPTIMAS_PUBMED_EXTRACTION";

/** Settings from the environment; a bad value is an error naming the variable and what it accepts. */
export function pubmedSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): PubMedSettings {
  const extraction = (env[EXTRACTION_ENV]?.trim() || "first-substring") as PubMedExtraction;
  if (!PUBMED_EXTRACTIONS.includes(extraction)) {
    throw new Error(`${EXTRACTION_ENV}="${env[EXTRACTION_ENV]}" is not an extraction rule; use ${PUBMED_EXTRACTIONS.join(" or ")}`);
  }
  const raw = env[MODELS_ENV]?.trim() || "simlm";
  if (raw === "simlm") return { ...OFFLINE_PUBMED, extraction };
  if (raw === "paper") return { ...PAPER_PUBMED, extraction };
  const models = [...new Set(raw.split(",").map((m) => m.trim()).filter(Boolean))];
  if (models.length === 0) throw new Error(`${MODELS_ENV}="${env[MODELS_ENV]}" names no model; use simlm, paper, or a comma-separated list of model names`);
  return { extraction, models, initialModel: models[0]! };
}
