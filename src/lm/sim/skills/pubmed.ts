import type { Fields } from "../../../core/json";
import { retrievalTokens } from "../../../data/text";
import { BM25Index } from "../../../data/bm25";
import type { Draws } from "../hash";
import { defineSkill, oracleText, type Skill } from "../skill";

/**
 * Skills of the PubMedQA system (the model selectors call no model).
 *
 * - `pubmed.summarize` (context analyst): good extracts the context sentences most relevant to
 *   the question, ranked by real BM25 over the context's sentences; failures take generic
 *   background sentences, the least relevant ones, or a truncated extract. Evidence falls with the
 *   length of the context (more to sift through).
 * - `pubmed.solve` (problem solver): good states the gold label, one supporting sentence from the
 *   summary and the final `Answer: <label>` line; failures give a wrong label biased toward "yes",
 *   or reason first and name the label only in prose, without the `Answer:` line (the answer-line
 *   rule then reads nothing, while the reference's first-substring rule reads whatever "yes",
 *   "no" or "maybe" comes first, "not" included). Evidence: how many of the context's most
 *   relevant sentences the summary kept (the oracle carries the example's context and question,
 *   which the solver itself never sees).
 * - simlm@2 forms: the analyst may list its sentences by relevance rather than in text order, and
 *   its near miss keeps only the two most relevant; the solver may state only the answer line, or
 *   the label and the answer line without a supporting sentence (the label first, so both
 *   extraction rules read it).
 */

const LABELS = ["yes", "no", "maybe"] as const;

/** Sentences of an abstract: split after . ! ? when the next sentence starts with a capital or a parenthesis. */
export function abstractSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+(?=[A-Z(])/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Indices of the context's sentences by BM25 relevance to the question, best first (ties keep text order). */
function relevanceOrder(sentences: readonly string[], question: string): number[] {
  if (sentences.length === 0) return [];
  const scores = new BM25Index(sentences.map((text) => ({ title: "", text }))).scores(question);
  return scores
    .map((score, i) => ({ score, i }))
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .map((x) => x.i);
}

/** The `n` sentences of `context` that BM25 ranks highest for `question`, in context order. */
export function relevantSentences(context: string, question: string, n: number): string[] {
  const sentences = abstractSentences(context);
  return relevanceOrder(sentences, question)
    .slice(0, n)
    .sort((a, b) => a - b)
    .map((i) => sentences[i]!);
}

/** Whether most of a sentence's words appear in the text (a summary may trim or rejoin sentences). */
function covered(sentence: string, text: string): boolean {
  const words = retrievalTokens(sentence);
  if (words.length === 0) return false;
  const present = new Set(retrievalTokens(text));
  return words.filter((w) => present.has(w)).length / words.length >= 0.8;
}

const SUMMARY_SENTENCES = 3;
const RELEVANT_FOR_SOLVING = 2;

interface SummarizeAnalysis {
  sentences: string[];
  /** Sentence indices, most relevant first. */
  order: number[];
}

function inTextOrder(a: SummarizeAnalysis, indices: readonly number[]): string {
  return [...indices].sort((x, y) => x - y).map((i) => a.sentences[i]!).join(" ");
}

export const summarize: Skill<SummarizeAnalysis> = defineSkill<SummarizeAnalysis>({
  name: "pubmed.summarize",
  domain: "medical",
  failureModes: ["generic", "off-topic", "truncated"],
  formatConcepts: ["follow-format", "no-preamble"],
  traits: ["summary", "context", "medical"],
  analyze(call) {
    const sentences = abstractSentences(call.inputs.context ?? "");
    return { sentences, order: relevanceOrder(sentences, call.inputs.question ?? "") };
  },
  evidence(a) {
    if (a.sentences.length === 0) return -1.5;
    return 0.4 - 0.06 * Math.max(0, a.sentences.length - 8);
  },
  good(a): Fields {
    return { summary: inTextOrder(a, a.order.slice(0, SUMMARY_SENTENCES)) };
  },
  variants(a) {
    return a.order.length > 1 ? [{ summary: a.order.slice(0, SUMMARY_SENTENCES).map((i) => a.sentences[i]!).join(" ") }] : [];
  },
  partial(a) {
    return a.order.length > SUMMARY_SENTENCES - 1 ? { summary: inTextOrder(a, a.order.slice(0, SUMMARY_SENTENCES - 1)) } : undefined;
  },
  failure(mode, a): Fields {
    if (mode === "generic") return { summary: a.sentences.slice(0, 2).join(" ") };
    if (mode === "off-topic") return { summary: inTextOrder(a, a.order.slice(-2)) };
    const words = inTextOrder(a, a.order.slice(0, SUMMARY_SENTENCES)).split(" ");
    return { summary: words.slice(0, Math.max(1, Math.floor(words.length / 2))).join(" ") };
  },
  checkDemo(demo) {
    const context = demo.inputs.context ?? "";
    const sentences = abstractSentences(demo.outputs.summary ?? "");
    return sentences.length > 0 && sentences.every((s) => context.includes(s));
  },
});

/** A wrong label, biased toward "yes" as LLMs answering PubMedQA are. */
function wrongLabel(gold: string, draws: Draws): string {
  const u = draws.next();
  if (gold === "yes") return u < 0.7 ? "no" : "maybe";
  return u < 0.6 ? "yes" : LABELS.find((l) => l !== gold && l !== "yes")!;
}

/** The summary sentence sharing the most words with the question: what a solver would cite. */
function supportingSentence(summary: string, question: string): string {
  const q = new Set(retrievalTokens(question));
  const best = abstractSentences(summary)
    .map((s, i) => ({ s, i, overlap: retrievalTokens(s).filter((w) => q.has(w)).length }))
    .sort((a, b) => b.overlap - a.overlap || a.i - b.i)[0];
  return best ? best.s : "The summary gives no usable evidence.";
}

function capitalize(label: string): string {
  return label[0]!.toUpperCase() + label.slice(1);
}

interface SolveAnalysis {
  /** The label the solver means: the gold one when the example is known, else a guess. */
  label: string;
  support: string;
  /** Share of the context's most relevant sentences the summary kept; null when unknown. */
  kept: number | null;
  emptySummary: boolean;
}

export const solve: Skill<SolveAnalysis> = defineSkill<SolveAnalysis>({
  name: "pubmed.solve",
  domain: "medical",
  failureModes: ["wrong-label", "no-answer-line"],
  formatConcepts: ["answer-line", "follow-format"],
  traits: ["label", "medical"],
  analyze(call) {
    const summary = call.inputs.summary ?? "";
    const gold = oracleText(call.oracle, "groundtruth");
    const relevant = relevantSentences(oracleText(call.oracle, "context"), oracleText(call.oracle, "question"), RELEVANT_FOR_SOLVING);
    return {
      label: gold !== "" ? gold : call.draws.pick(LABELS),
      support: supportingSentence(summary, call.inputs.question ?? ""),
      kept: relevant.length === 0 ? null : relevant.filter((s) => covered(s, summary)).length / relevant.length,
      emptySummary: summary.trim() === "",
    };
  },
  evidence(a) {
    if (a.emptySummary) return -1.5;
    return a.kept === null ? 0 : 1.2 * a.kept - 0.6;
  },
  good(a): Fields {
    return { answer: `${capitalize(a.label)}. ${a.support}\nAnswer: ${a.label}` };
  },
  variants(a) {
    return [{ answer: `Answer: ${a.label}` }, { answer: `${capitalize(a.label)}.\nAnswer: ${a.label}` }];
  },
  failure(mode, a, call): Fields {
    if (mode === "wrong-label") {
      const label = wrongLabel(a.label, call.draws);
      return { answer: `${capitalize(label)}. ${a.support}\nAnswer: ${label}` };
    }
    return { answer: `${a.support} Overall, the evidence points to ${a.label}.` };
  },
  checkDemo(demo) {
    return /^answer:\s*(yes|no|maybe)\s*$/im.test(demo.outputs.answer ?? "");
  },
});

export const PUBMED_SKILLS: readonly Skill[] = [summarize, solve];
