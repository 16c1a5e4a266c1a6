import type { Fields } from "../../../core/json";
import { defineSkill, oracleText, type Skill } from "../skill";

/**
 * Skill of the Amazon next-item decider (`amazon.decide`). It reads the candidate profiler's
 * feedback — one line per candidate, "Item <i>: rank <r> of <n> …" — and answers with the index
 * the feedback ranks first. Evidence E: whether that favoured candidate is the gold item, so a
 * profiler (or a session analyzer upstream of it) that ranks badly lowers the decider's quality.
 * Failures: the runner-up, a 1-based index (the decider is never told indices are 0-based), or
 * forms the exact-match metric rejects ("Item 2", a sentence). simlm@2 adds no other correct form:
 * the exact-match metric accepts only the bare index.
 */

const RANKED_LINE = /^\s*item\s+(\d+)\s*:\s*rank\s+(\d+)/i;

/** Candidate indices in the order the feedback ranks them (best first); empty when no line states a rank. */
export function feedbackRanking(feedback: string): number[] {
  const ranked: { index: number; rank: number }[] = [];
  for (const line of feedback.split("\n")) {
    const m = RANKED_LINE.exec(line);
    if (m) ranked.push({ index: Number(m[1]), rank: Number(m[2]) });
  }
  return ranked.sort((a, b) => a.rank - b.rank || a.index - b.index).map((r) => r.index);
}

// Amazon sessions always offer four candidates; a decider facing unreadable feedback guesses among them.
const CANDIDATES = 4;

interface DecideAnalysis {
  ranking: number[];
  /** The index the decider reads off the feedback, or its guess when the feedback ranks nothing. */
  favoured: number;
  gold: string;
}

export const decide: Skill<DecideAnalysis> = defineSkill<DecideAnalysis>({
  name: "amazon.decide",
  domain: "general",
  failureModes: ["runner-up", "one-based", "item-prefix", "sentence"],
  formatConcepts: ["follow-format", "no-preamble"],
  traits: ["label", "recommend"],
  analyze(call) {
    const ranking = feedbackRanking(call.inputs.feedback ?? "");
    return { ranking, favoured: ranking[0] ?? call.draws.int(CANDIDATES), gold: oracleText(call.oracle, "gd_answer") };
  },
  evidence(a) {
    if (a.ranking.length === 0) return -1.0;
    if (a.gold === "") return 0;
    return String(a.ranking[0]) === a.gold ? 0.8 : -0.6;
  },
  good(a): Fields {
    return { answer: String(a.favoured) };
  },
  failure(mode, a): Fields {
    switch (mode) {
      case "runner-up":
        return { answer: String(a.ranking[1] ?? (a.favoured + 1) % CANDIDATES) };
      case "one-based":
        return { answer: String(a.favoured + 1) };
      case "item-prefix":
        return { answer: `Item ${a.favoured}` };
      default:
        return { answer: `The user will most likely choose item ${a.favoured} next.` };
    }
  },
  checkDemo(demo) {
    const answer = (demo.outputs.answer ?? "").trim();
    const top = feedbackRanking(demo.inputs.feedback ?? "")[0];
    return /^\d+$/.test(answer) && top !== undefined && Number(answer) === top;
  },
});

export const AMAZON_SKILLS: readonly Skill[] = [decide];
