import { FunctionComponent } from "../../core/component";
import type { Json } from "../../core/json";
import { paramValue } from "../../core/variable";
import { pyFloat, pyJsonLoads, pyRound2 } from "./python-json";

export const CANDIDATES = 5;

/**
 * The reference parser of an LLM score reply: `json.loads`, the object's values in insertion
 * order through `float()`, exactly five of them; anything else (invalid JSON, a list, unquoted
 * keys, a fenced block, a non-numeric value, another count) gives five zeros.
 */
export function parseScores(reply: Json | undefined): number[] {
  const zeros = Array<number>(CANDIDATES).fill(0);
  if (typeof reply !== "string") return zeros;
  let parsed;
  try {
    parsed = pyJsonLoads(reply);
  } catch {
    return zeros;
  }
  if (!(parsed instanceof Map)) return zeros;
  const values = [...parsed.values()].map(pyFloat);
  return values.length === CANDIDATES && values.every((v) => v !== undefined) ? (values as number[]) : zeros;
}

/** final_i = round(relation_weight·r_i + text_weight·t_i + emb_i, 2), over as many entries as all three lists have (Python's zip). */
export function combineScores(relation: readonly number[], text: readonly number[], emb: readonly number[], relationWeight: number, textWeight: number): number[] {
  const n = Math.min(relation.length, text.length, emb.length);
  return Array.from({ length: n }, (_, i) => pyRound2(relationWeight * relation[i]! + textWeight * text[i]! + emb[i]!));
}

export const WEIGHT_SPACE = [0.1, 1.0];

/** The final scorer: no LLM; its `params` variable weighs the two LLM score lists against the embedding scores. */
export function finalScorer(): FunctionComponent {
  return new FunctionComponent(
    {
      name: "final_scorer",
      description:
        "Given a question, weighs textual properties, relational cues and general semantics for retrieving an entity, and combines the three score lists into a final score list by weighted aggregation.",
      inputFields: ["question", "emb_scores", "relation_scores", "text_scores"],
      outputFields: ["final_scores"],
      variable: { kind: "params", value: { relation_weight: 0.1, text_weight: 0.1 }, space: { relation_weight: WEIGHT_SPACE, text_weight: WEIGHT_SPACE } },
    },
    (inputs, env) => {
      const emb = inputs.emb_scores;
      if (!Array.isArray(emb) || !emb.every((x) => typeof x === "number")) throw new Error("final_scorer: emb_scores must be a list of numbers");
      const weight = (key: string): number => Number(paramValue(env.variable, key));
      const final = combineScores(parseScores(inputs.relation_scores), parseScores(inputs.text_scores), emb as number[], weight("relation_weight"), weight("text_weight"));
      return { final_scores: final };
    },
  );
}
