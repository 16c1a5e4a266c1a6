import type { Fields } from "../../core/json";
import { retrievalTokens } from "../../data/text";
import { LocalModelComponent } from "./local-model";
import type { ItemTask, ScorerArch } from "./scorer";

/**
 * The session analyzer as a local extractive policy: its items are the distinct words of the
 * session's product titles, its summary the words it picks. What a word offers the scorer:
 *
 * - titleShare: share of the session's titles that contain it;
 * - inLast: whether the last (most recent) title contains it;
 * - recency: position of the last title containing it, 1 = the last title;
 * - numeric: whether it contains a digit (sizes, model numbers);
 * - length: its length, capped at 12 characters, over 12;
 * - leading: share of titles in which it is one of the first three words (brands lead titles).
 *
 * The base weights favour words shared by many titles and recent ones, and disfavour numbers.
 */
export const SESSION_ANALYZER_ARCH: ScorerArch = {
  id: "amazon.session-analyzer@1",
  features: ["titleShare", "inLast", "recency", "numeric", "length", "leading"],
  hidden: 8,
  base: [2, 1, 1, -1.5, 0.5, 1],
};

/** Words in a summary: enough to name brand, product type and a few attributes. */
export const SUMMARY_KEYWORDS = 8;

const SUMMARY_PREFIX = "The user is browsing for:";

/** The session's product titles, one per line. */
export function sessionTitles(sequence: string): string[] {
  return sequence.split("\n").map((t) => t.trim()).filter(Boolean);
}

function keywordFeatures(sequence: string): { items: string[]; rows: number[][] } {
  const titles = sessionTitles(sequence).map((t) => retrievalTokens(t));
  const stats = new Map<string, { titles: number; last: number; leading: number }>();
  titles.forEach((words, ti) => {
    const seen = new Set<string>();
    words.forEach((w, wi) => {
      let s = stats.get(w);
      if (!s) stats.set(w, (s = { titles: 0, last: -1, leading: 0 }));
      if (seen.has(w)) return;
      seen.add(w);
      s.titles++;
      s.last = ti;
      if (wi < 3) s.leading++;
    });
  });
  const n = Math.max(1, titles.length);
  const items = [...stats.keys()];
  const rows = items.map((w) => {
    const s = stats.get(w)!;
    return [s.titles / n, s.last === titles.length - 1 ? 1 : 0, (s.last + 1) / n, /\d/.test(w) ? 1 : 0, Math.min(w.length, 12) / 12, s.leading / n];
  });
  return { items, rows };
}

export const sessionAnalyzerTask: ItemTask<string> = {
  arch: SESSION_ANALYZER_ARCH,
  featurize: (inputs) => keywordFeatures(String(inputs.sequence ?? "")),
  picks: (count) => Math.min(SUMMARY_KEYWORDS, count),
  render: (_inputs, items, picked): Fields => ({ context: `${SUMMARY_PREFIX} ${picked.map((i) => items[i]).join(", ")}.` }),
};

export function buildSessionAnalyzer(initSeed: string): LocalModelComponent<string> {
  return new LocalModelComponent({
    name: "session_analyzer",
    description: "Summarizes the user's browsing session into the keywords of what they are looking for, picked from the session's product titles.",
    inputFields: ["sequence"],
    outputFields: ["context"],
    task: sessionAnalyzerTask,
    initSeed,
    temperature: 0.6,
  });
}
