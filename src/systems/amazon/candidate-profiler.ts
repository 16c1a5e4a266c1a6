import type { Fields, Json } from "../../core/json";
import { retrievalTokens } from "../../data/text";
import { LocalModelComponent } from "./local-model";
import type { ItemTask, ScorerArch } from "./scorer";

/**
 * The candidate profiler as a local ranking policy: it scores each candidate's fit against the
 * session summary, samples a ranking, and writes one feedback line per candidate ("Item <i>: rank
 * <r> of <n>, <verdict>; shares <words> with the session."). What a candidate offers the scorer,
 * with S the words of the summary:
 *
 * - recall: share of S found in the candidate's title;
 * - precision: share of the title's words found in S;
 * - relative: its S-word count over the best candidate's (0 when no candidate shares a word);
 * - trigrams: share of the title's character trigrams found in the summary (catches compounds
 *   and unsegmented scripts that whole words miss);
 * - brand: whether the title's first word is in S;
 * - length: the title's word count, capped at 40, over 40.
 */
export const CANDIDATE_PROFILER_ARCH: ScorerArch = {
  id: "amazon.candidate-profiler@1",
  features: ["recall", "precision", "relative", "trigrams", "brand", "length"],
  hidden: 8,
  base: [2, 1, 2, 1, 1, 0],
};

const VERDICTS = ["the most likely next item", "a plausible alternative", "unlikely", "very unlikely"];
const SHOWN_WORDS = 4;

export interface Candidate {
  words: string[];
  /** Its words that the summary contains, in title order. */
  shared: string[];
}

function trigrams(words: readonly string[]): Set<string> {
  const text = words.join(" ");
  const out = new Set<string>();
  for (let i = 0; i + 3 <= text.length; i++) out.add(text.slice(i, i + 3));
  return out;
}

/** The `choices` input as titles; anything else is a wiring error worth one clear line. */
export function choiceTitles(choices: Json | undefined): string[] {
  if (!Array.isArray(choices) || !choices.every((c) => typeof c === "string")) {
    throw new Error(`candidate_profiler: input "choices" must be a list of product titles (got ${JSON.stringify(choices)?.slice(0, 80)})`);
  }
  return choices as string[];
}

function candidateFeatures(summary: string, titles: readonly string[]): { items: Candidate[]; rows: number[][] } {
  const summaryWords = retrievalTokens(summary);
  const inSummary = new Set(summaryWords);
  const summaryTrigrams = trigrams(summaryWords);
  const items = titles.map((t): Candidate => {
    const words = retrievalTokens(t);
    return { words, shared: [...new Set(words.filter((w) => inSummary.has(w)))] };
  });
  const best = Math.max(0, ...items.map((c) => c.shared.length));
  const rows = items.map((c) => {
    const grams = trigrams(c.words);
    const gramHits = [...grams].filter((g) => summaryTrigrams.has(g)).length;
    return [
      inSummary.size > 0 ? c.shared.length / inSummary.size : 0,
      c.words.length > 0 ? c.words.filter((w) => inSummary.has(w)).length / c.words.length : 0,
      best > 0 ? c.shared.length / best : 0,
      grams.size > 0 ? gramHits / grams.size : 0,
      c.words.length > 0 && inSummary.has(c.words[0]!) ? 1 : 0,
      Math.min(c.words.length, 40) / 40,
    ];
  });
  return { items, rows };
}

function feedbackLines(items: readonly Candidate[], ranking: readonly number[]): string {
  return items
    .map((c, i) => {
      const rank = ranking.indexOf(i);
      const shared = c.shared.slice(0, SHOWN_WORDS).join(", ") || "no words";
      return `Item ${i}: rank ${rank + 1} of ${items.length}, ${VERDICTS[Math.min(rank, VERDICTS.length - 1)]}; shares ${shared} with the session.`;
    })
    .join("\n");
}

export const candidateProfilerTask: ItemTask<Candidate> = {
  arch: CANDIDATE_PROFILER_ARCH,
  featurize: (inputs) => candidateFeatures(String(inputs.context ?? ""), choiceTitles(inputs.choices)),
  picks: (count) => count,
  render: (_inputs, items, picked): Fields => ({ feedback: feedbackLines(items, picked) }),
};

export function buildCandidateProfiler(initSeed: string): LocalModelComponent<Candidate> {
  return new LocalModelComponent({
    name: "candidate_profiler",
    description: "Scores how well each candidate product fits the session summary and writes one ranked feedback line per candidate.",
    inputFields: ["context", "choices"],
    outputFields: ["feedback"],
    task: candidateProfilerTask,
    initSeed,
    temperature: 0.6,
  });
}
