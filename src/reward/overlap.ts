import type { Json } from "../core/json";
import type { RewardInput } from "./types";
import { charNgrams, valueText, words } from "./tokens";

/**
 * Dense features of the outputs relative to the inputs. Hashed n-grams tell *which* words an
 * output has; these tell how it relates to what the component was given (copied, echoed, empty,
 * structured, much longer or shorter), which is what transfers to inputs never seen in training.
 * Every value lies in [-1, 1] or close to it, so they sit on the same scale as the hashed blocks.
 */
export const OVERLAP_FEATURES = [
  "output_tokens_in_inputs",
  "input_tokens_in_output",
  "token_jaccard",
  "trigram_jaccard",
  "output_tokens_in_description",
  "output_log_chars",
  "output_log_tokens",
  "output_input_length_ratio",
  "output_empty",
  "output_empty_fraction",
  "output_within_an_input",
  "an_input_within_output",
  "output_structured_fraction",
  "output_numeric_fraction",
  "output_distinct_token_ratio",
] as const;

export type OverlapFeature = (typeof OVERLAP_FEATURES)[number];

export const OVERLAP_DIM = OVERLAP_FEATURES.length;

/** Writes the overlap features of `input` into `out[offset .. offset + OVERLAP_DIM)`. */
export function writeOverlapFeatures(input: RewardInput, out: Float32Array, offset: number): void {
  const inputTexts = Object.values(input.inputs).map(valueText);
  const outputValues = Object.values(input.outputs);
  const outputTexts = outputValues.map(valueText);
  const inTokens = inputTexts.flatMap(words);
  const outTokens = outputTexts.flatMap(words);
  const inSet = new Set(inTokens);
  const outSet = new Set(outTokens);
  const descSet = new Set(words(input.description));
  const inChars = inputTexts.reduce((n, t) => n + t.length, 0);
  const outChars = outputTexts.reduce((n, t) => n + t.length, 0);
  const emptyOutputs = outputValues.filter(isEmpty).length;
  const inPhrases = inputTexts.map(phrase).filter((p) => p !== "");
  const outPhrase = phrase(outputTexts.join(" "));

  const values: Record<OverlapFeature, number> = {
    output_tokens_in_inputs: fraction(outTokens, (t) => inSet.has(t)),
    input_tokens_in_output: inSet.size === 0 ? 0 : countShared(inSet, outSet) / inSet.size,
    token_jaccard: jaccard(inSet, outSet),
    trigram_jaccard: jaccard(trigrams(inTokens), trigrams(outTokens)),
    output_tokens_in_description: fraction(outTokens, (t) => descSet.has(t)),
    output_log_chars: Math.log1p(outChars) / 8,
    output_log_tokens: Math.log1p(outTokens.length) / 6,
    output_input_length_ratio: clamp(Math.log((1 + outChars) / (1 + inChars)), -6, 6) / 6,
    output_empty: outputValues.length > 0 && emptyOutputs === outputValues.length ? 1 : 0,
    output_empty_fraction: outputValues.length === 0 ? 1 : emptyOutputs / outputValues.length,
    output_within_an_input: outPhrase !== "" && inPhrases.some((p) => p.includes(outPhrase)) ? 1 : 0,
    an_input_within_output: inPhrases.some((p) => outPhrase.includes(p)) ? 1 : 0,
    output_structured_fraction: fraction(outputValues, isStructured),
    output_numeric_fraction: fraction(outputValues, isNumeric),
    output_distinct_token_ratio: outTokens.length === 0 ? 0 : outSet.size / outTokens.length,
  };
  OVERLAP_FEATURES.forEach((name, i) => {
    out[offset + i] = values[name];
  });
}

// Word sequence with single-space boundaries, so containment tests match whole words only.
function phrase(text: string): string {
  const w = words(text);
  return w.length === 0 ? "" : ` ${w.join(" ")} `;
}

function trigrams(tokens: readonly string[]): Set<string> {
  const grams = new Set<string>();
  for (const t of tokens) for (const g of charNgrams(t, 3)) grams.add(g);
  return grams;
}

function countShared(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  let n = 0;
  for (const x of a) if (b.has(x)) n++;
  return n;
}

function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  const shared = countShared(a, b);
  const union = a.size + b.size - shared;
  return union === 0 ? 0 : shared / union;
}

function fraction<T>(items: readonly T[], test: (item: T) => boolean): number {
  if (items.length === 0) return 0;
  let n = 0;
  for (const item of items) if (test(item)) n++;
  return n / items.length;
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

function isEmpty(value: Json): boolean {
  if (value === null) return true;
  if (typeof value === "string") return value.trim() === "";
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === "object") return Object.keys(value).length === 0;
  return false;
}

// An object or list, given directly or as a string that parses as one (a model's JSON reply).
function isStructured(value: Json): boolean {
  if (value !== null && typeof value === "object") return true;
  if (typeof value !== "string") return false;
  const t = value.trim();
  if (!(t.startsWith("{") || t.startsWith("["))) return false;
  try {
    const parsed: unknown = JSON.parse(t);
    return parsed !== null && typeof parsed === "object";
  } catch {
    return false;
  }
}

function isNumeric(value: Json): boolean {
  if (typeof value === "number") return Number.isFinite(value);
  return typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value.trim()));
}
