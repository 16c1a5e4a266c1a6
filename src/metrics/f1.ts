/**
 * HotpotQA's answer metrics (token F1 and normalized exact match), following the official
 * evaluation script's normalization, made Unicode-correct:
 *
 * 1. NFKC: composed and decomposed forms ("é" vs "e" + U+0301), full-width letters and ligatures
 *    compare equal. Accents stay significant ("café" ≠ "cafe"), as in the official script.
 * 2. Lower-case (full Unicode case mapping, as Python's `str.lower`).
 * 3. Delete punctuation and symbols, ASCII and Unicode alike (`\p{P}`, `\p{S}`: on ASCII exactly
 *    Python's `string.punctuation`), and invisible format characters (`\p{Cf}`, e.g. U+200B).
 *    Deleted, not replaced by a space, as the official script does ("U.S." → "us").
 * 4. Replace the whole words a, an, the by a space; word boundaries are Unicode-aware like
 *    Python's `\b` (JavaScript's `\b` is ASCII-only).
 * 5. Collapse whitespace runs (Python's `str.isspace` set) to one space and trim.
 */
export function normalizeAnswer(text: string): string {
  return text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[\p{P}\p{S}\p{Cf}]/gu, "")
    .replace(/(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu, " ")
    // Python's str.split() also splits on U+001C–U+001F and U+0085, which JavaScript's \s omits.
    .split(/[\s\x1c-\x1f\x85]+/u)
    .filter(Boolean)
    .join(" ");
}

const SPECIAL_ANSWERS = new Set(["yes", "no", "noanswer"]);

/**
 * Token-level F1 of a predicted answer against the gold answer. As in the official script: when
 * either normalized string is yes, no or noanswer and they differ, the score is 0; tokens are
 * counted as a multiset; no common token (including two empty answers) scores 0.
 */
export function tokenF1(prediction: string, gold: string): number {
  const pred = normalizeAnswer(prediction);
  const truth = normalizeAnswer(gold);
  if ((SPECIAL_ANSWERS.has(pred) || SPECIAL_ANSWERS.has(truth)) && pred !== truth) return 0;
  const predTokens = pred === "" ? [] : pred.split(" ");
  const goldTokens = truth === "" ? [] : truth.split(" ");
  const counts = new Map<string, number>();
  for (const t of goldTokens) counts.set(t, (counts.get(t) ?? 0) + 1);
  let common = 0;
  for (const t of predTokens) {
    const left = counts.get(t) ?? 0;
    if (left > 0) {
      common++;
      counts.set(t, left - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / predTokens.length;
  const recall = common / goldTokens.length;
  return (2 * precision * recall) / (precision + recall);
}

/** 1 when the normalized answers are identical (the official `exact_match_score`), else 0. */
export function normalizedExactMatch(prediction: string, gold: string): number {
  return normalizeAnswer(prediction) === normalizeAnswer(gold) ? 1 : 0;
}
