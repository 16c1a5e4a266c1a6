import { retrievalTokens } from "../../../data/text";
import { defineSkill, oracleText, type Skill, type SkillCall } from "../skill";
import { widenedSpan } from "./spans";

/**
 * Skills of the tiny toy system (src/systems/toy). Oracle: `{ answer, sentence, entity }`.
 *
 * - toy.extract reads `question` and `passages` (one sentence per line) and writes `evidence`.
 *   Good: the gold sentence when it was retrieved, else the passage that overlaps the question
 *   most. E = +0.6 when the gold sentence is among the passages, −1.5 when not, minus 0.12 per
 *   passage beyond 3 (distraction), so the retriever's k is a real trade-off.
 *   Failures: another passage (preferring ones about the same country), all passages copied, or
 *   the right sentence cut before its answer (also what a wrong pick gives with one passage).
 * - toy.answer reads `question` and `evidence` and writes `answer`. Good: the gold answer when it
 *   is a word of the evidence, else the last word of the evidence sentence closest to the
 *   question. E = +0.8 when the answer is in the evidence (minus 0.25 per extra sentence), −1.5
 *   when not. Failures: another capitalized word of the evidence, a verbose sentence (partial
 *   F1), or "unknown".
 * - simlm@2 forms: the extractor's gold sentence also comes without its final period, and its near
 *   miss adds one more passage (the answer is still there, among more text); the answerer's gold
 *   answer also comes with a final period, and its near miss widens it by a neighbouring word.
 */

const EXTRACT_FOUND = 0.6;
const MISSING = -1.5;
const PASSAGES_BEFORE_DISTRACTION = 3;
const PER_EXTRA_PASSAGE = 0.12;
const ANSWER_FOUND = 0.8;
const PER_EXTRA_SENTENCE = 0.25;
const TOY_FORMAT_CONCEPTS = ["follow-format", "no-preamble"];

function lines(text: string): string[] {
  return text
    .split("\n")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

function sentences(text: string): string[] {
  return (text.match(/[^.!?]+[.!?]?/g) ?? []).map((s) => s.trim()).filter((s) => s !== "");
}

function overlap(a: string, b: string): number {
  const words = new Set(retrievalTokens(a));
  return retrievalTokens(b).filter((w) => words.has(w)).length;
}

/** The text closest to the question by word overlap (first on ties). */
function closest(question: string, texts: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const t of texts) {
    const s = overlap(question, t);
    if (s > bestScore) {
      best = t;
      bestScore = s;
    }
  }
  return best;
}

function lastWord(sentence: string): string {
  return sentence.match(/([\p{L}\p{N}]+)[^\p{L}\p{N}]*$/u)?.[1] ?? "";
}

function hasWord(text: string, word: string): boolean {
  return word !== "" && new RegExp(`\\b${word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`).test(text);
}

interface ExtractAnalysis {
  question: string;
  passages: string[];
  gold: string | undefined;
  entity: string;
}

export const toyExtract: Skill<ExtractAnalysis> = defineSkill({
  name: "toy.extract",
  domain: "general",
  failureModes: ["wrong-sentence", "copy-all", "truncated"],
  formatConcepts: TOY_FORMAT_CONCEPTS,
  traits: ["extract", "context"],
  analyze(call: SkillCall): ExtractAnalysis {
    const passages = lines(call.inputs.passages ?? "");
    const sentence = oracleText(call.oracle, "sentence");
    return { question: call.inputs.question ?? "", passages, gold: passages.includes(sentence) ? sentence : undefined, entity: oracleText(call.oracle, "entity") };
  },
  evidence(a, call) {
    const distraction = PER_EXTRA_PASSAGE * Math.max(0, a.passages.length - PASSAGES_BEFORE_DISTRACTION);
    if (call.oracle === undefined) return -distraction;
    return (a.gold ? EXTRACT_FOUND : MISSING) - distraction;
  },
  good(a) {
    return { evidence: a.gold ?? closest(a.question, a.passages) ?? "" };
  },
  variants(a) {
    return a.gold && /[.!?]$/.test(a.gold) ? [{ evidence: a.gold.slice(0, -1) }] : [];
  },
  partial(a, call) {
    const others = a.passages.filter((p) => p !== a.gold);
    return a.gold && others.length > 0 ? { evidence: `${a.gold} ${call.draws.pick(others)}` } : undefined;
  },
  failure(mode, a, call) {
    const target = a.gold ?? closest(a.question, a.passages) ?? "";
    const others = a.passages.filter((p) => p !== target);
    if (mode === "copy-all") return { evidence: a.passages.join(" ") };
    // With nothing else to pick, a wrong pick degrades to the truncated sentence.
    if (mode === "truncated" || others.length === 0) {
      const words = target.split(" ");
      return { evidence: words.slice(0, Math.max(1, words.length - 2)).join(" ") };
    }
    const sameEntity = others.filter((p) => hasWord(p, a.entity));
    return { evidence: call.draws.pick(sameEntity.length > 0 ? sameEntity : others) };
  },
  checkDemo(demo) {
    const evidence = (demo.outputs.evidence ?? "").trim();
    const passages = lines(demo.inputs.passages ?? "");
    return passages.includes(evidence) && closest(demo.inputs.question ?? "", passages) === evidence;
  },
});

interface AnswerAnalysis {
  question: string;
  evidence: string;
  sentences: string[];
  answer: string;
  found: boolean;
}

export const toyAnswer: Skill<AnswerAnalysis> = defineSkill({
  name: "toy.answer",
  domain: "general",
  failureModes: ["other-span", "verbose", "unknown"],
  formatConcepts: TOY_FORMAT_CONCEPTS,
  traits: ["short-answer", "context"],
  analyze(call: SkillCall): AnswerAnalysis {
    const evidence = call.inputs.evidence ?? "";
    const answer = oracleText(call.oracle, "answer");
    return { question: call.inputs.question ?? "", evidence, sentences: sentences(evidence), answer, found: hasWord(evidence, answer) };
  },
  evidence(a, call) {
    if (call.oracle === undefined) return 0;
    return a.found ? ANSWER_FOUND - PER_EXTRA_SENTENCE * Math.max(0, a.sentences.length - 1) : MISSING;
  },
  good(a) {
    if (a.found) return { answer: a.answer };
    const guess = closest(a.question, a.sentences);
    return { answer: guess ? lastWord(guess) : "unknown" };
  },
  variants(a) {
    return a.found ? [{ answer: `${a.answer}.` }] : [];
  },
  partial(a, call) {
    const span = a.found ? widenedSpan(a.answer, a.sentences, call.draws) : undefined;
    return span === undefined ? undefined : { answer: span };
  },
  failure(mode, a, call) {
    if (mode === "unknown" || a.evidence.trim() === "") return { answer: "unknown" };
    if (mode === "verbose") {
      const sentence = a.sentences.find((s) => hasWord(s, a.answer)) ?? closest(a.question, a.sentences) ?? a.evidence;
      return { answer: `According to the evidence, ${sentence.charAt(0).toLowerCase()}${sentence.slice(1)}` };
    }
    const spans = [...new Set(a.evidence.match(/\b[A-Z][a-z]+\b/g) ?? [])].filter((w) => w !== a.answer && w !== "The");
    return { answer: spans.length > 0 ? call.draws.pick(spans) : "unknown" };
  },
  checkDemo(demo) {
    const guess = closest(demo.inputs.question ?? "", sentences(demo.inputs.evidence ?? ""));
    return guess !== undefined && (demo.outputs.answer ?? "").trim() === lastWord(guess);
  },
});

export const TOY_SKILLS: readonly Skill[] = [toyExtract, toyAnswer];
