import type { Fields, Json } from "../../../core/json";
import { retrievalTokens } from "../../../data/text";
import { normalizeAnswer } from "../../../metrics/f1";
import type { Draws } from "../hash";
import { defineSkill, oracleText, type Skill } from "../skill";
import { widenedSpan } from "./spans";

/**
 * Skills of the HotpotQA system (the retriever is real BM25 or ColBERTv2, not a skill).
 *
 * - `hotpotqa.rewrite`: good restates the question keeping every entity phrase; failures drop one
 *   entity, replace one by a vague pronoun, or cut the question short.
 * - `hotpotqa.keywords`: good lists the entity phrases and salient words of the query it is given;
 *   evidence is the share of the original question's entities still present in that query.
 * - `hotpotqa.hints`: good quotes the gold supporting sentences present in the retrieved text and
 *   names the bridge entity; evidence rises with the share of gold paragraphs retrieved and falls
 *   with every retrieved paragraph beyond 5 (distraction), so retrieval depth is a real trade-off.
 * - `hotpotqa.answer`: good is the gold answer when the hints contain it (for yes/no questions:
 *   when they hold every supporting sentence); failures are another span from the hints or a
 *   verbose sentence (partial F1).
 *
 * The oracle is data/hotpotqa.ts's plus the question (what the keyword extractor's evidence needs).
 *
 * simlm@2 forms: the rewriter may also keep the question verbatim; the keyword extractor may
 * separate its terms by spaces; the hint writer may give the supporting sentences in reverse
 * order, and its near miss omits the last of several; the answerer may add a final period, and
 * its near miss widens the gold span by a neighbouring word of the hints (partial F1).
 */

interface SupportingSentence {
  title: string;
  sentence: string;
}

interface HotpotTruth {
  answer: string;
  question: string;
  supporting: SupportingSentence[];
  goldTitles: string[];
  bridge: string | null;
}

function truth(oracle: Json | undefined): HotpotTruth | undefined {
  const answer = oracleText(oracle, "answer");
  if (answer === "" || oracle === null || typeof oracle !== "object" || Array.isArray(oracle)) return undefined;
  const facts = Array.isArray(oracle.supporting_facts) ? (oracle.supporting_facts as unknown as SupportingSentence[]) : [];
  const titles = Array.isArray(oracle.gold_titles) ? (oracle.gold_titles as string[]) : [];
  const bridge = oracleText(oracle, "bridge_entity");
  return { answer, question: oracleText(oracle, "question"), supporting: facts, goldTitles: titles, bridge: bridge === "" ? null : bridge };
}

const LEADING_WORDS = new Set(
  ("what which who whom whose when where why how is are was were do does did can could has have had in on at of for by from " +
    "the a an this that these those it he she they his her its their there find identify determine answer check").split(" "),
);
const CONNECTORS = new Set(["of", "the", "and", "de", "von", "van", "la", "le", "du", "for", "in", "on", "&"]);

function isNamePart(word: string): boolean {
  return /^[\p{Lu}\p{N}]/u.test(word);
}

/**
 * Entity phrases of a text: quoted strings, and runs of capitalized words or numbers (inner
 * connectors such as "of" allowed), without a leading question word, article or pronoun.
 */
export function entityPhrases(text: string): string[] {
  const phrases: string[] = [];
  for (const m of text.matchAll(/"([^"]+)"/g)) phrases.push(m[1]!.trim());
  let run: string[] = [];
  const flush = (): void => {
    while (run.length > 0 && (CONNECTORS.has(run.at(-1)!.toLowerCase()) || !isNamePart(run.at(-1)!))) run.pop();
    while (run.length > 0 && LEADING_WORDS.has(run[0]!.toLowerCase())) run.shift();
    if (run.length > 0) phrases.push(run.join(" "));
    run = [];
  };
  for (const raw of text.replace(/"[^"]*"/g, " , ").split(/\s+/)) {
    const word = raw.replace(/^[^\p{L}\p{N}]+/u, "").replace(/[^\p{L}\p{N}]+$/u, "");
    if (/^\p{N}+$/u.test(word)) {
      // A number (a year, a count) is a phrase of its own.
      flush();
      phrases.push(word);
    } else if (isNamePart(word)) run.push(word);
    else if (run.length > 0 && CONNECTORS.has(word.toLowerCase())) run.push(word);
    else flush();
    // Punctuation after a word ("Paris, France", "Co.") ends the phrase there.
    if (word !== "" && word !== raw.replace(/^[^\p{L}\p{N}]+/u, "")) flush();
  }
  flush();
  return [...new Set(phrases.filter((p) => p.length > 1))];
}

function contains(text: string, phrase: string): boolean {
  return text.toLowerCase().includes(phrase.toLowerCase());
}

/** One item drawn from a possibly empty list. */
function pickFrom<T>(items: readonly T[], draws: Draws): T | undefined {
  return items.length === 0 ? undefined : draws.pick(items);
}

const AUXILIARIES = /^(is|are|was|were|do|does|did|can|could|has|have|had|will|would)\b/i;
const QUESTION_WORD = /^(what|which|who|whom|whose|when|where|why|how|in what|in which)\b/i;

/** A restatement that keeps every word of the question (so every entity survives). */
function restate(question: string): string {
  const q = question.trim().replace(/\s*\?+$/, "");
  const lowerFirst = q[0]!.toLowerCase() + q.slice(1);
  if (AUXILIARIES.test(q)) return `Answer yes or no: ${lowerFirst}?`;
  if (QUESTION_WORD.test(q)) return `Identify ${lowerFirst}.`;
  return `Find out: ${q}?`;
}

function halfOf(text: string): string {
  const words = text.split(" ");
  return words.slice(0, Math.max(1, Math.floor(words.length / 2))).join(" ");
}

interface RewriteAnalysis {
  question: string;
  entities: string[];
}

export const rewrite: Skill<RewriteAnalysis> = defineSkill<RewriteAnalysis>({
  name: "hotpotqa.rewrite",
  domain: "general",
  failureModes: ["drop-entity", "vague-entity", "truncated"],
  formatConcepts: ["follow-format", "no-preamble"],
  traits: ["query"],
  analyze(call) {
    const question = (call.inputs.question ?? "").trim();
    return { question, entities: entityPhrases(question) };
  },
  evidence(a) {
    return 0.3 - 0.15 * Math.max(0, a.entities.length - 2);
  },
  good(a): Fields {
    return { rewritten_query: a.question === "" ? "" : restate(a.question) };
  },
  variants(a) {
    return a.question === "" ? [] : [{ rewritten_query: a.question }];
  },
  failure(mode, a, call): Fields {
    if (a.question === "") return { rewritten_query: "" };
    const good = restate(a.question);
    const entity = pickFrom(a.entities, call.draws);
    if (mode === "truncated" || entity === undefined) return { rewritten_query: halfOf(good) };
    const replacement = mode === "drop-entity" ? "" : "it";
    return { rewritten_query: good.replace(entity, replacement).replace(/\s{2,}/g, " ") };
  },
  checkDemo(demo) {
    const rewritten = demo.outputs.rewritten_query ?? "";
    return rewritten.trim() !== "" && entityPhrases(demo.inputs.question ?? "").every((e) => contains(rewritten, e));
  },
});

const QUERY_FRAME = new Set(["identify", "determine", "answer", "find", "whether", "yes"]);
const SALIENT_WORDS = 6;

/** Lower-case content words of a query outside its entity phrases (at most six, first first). */
function salientWords(query: string, entities: readonly string[]): string[] {
  const inEntities = new Set(entities.flatMap((e) => retrievalTokens(e)));
  const words = retrievalTokens(query).filter((w) => w.length > 3 && !inEntities.has(w) && !QUERY_FRAME.has(w));
  return [...new Set(words)].slice(0, SALIENT_WORDS);
}

interface KeywordsAnalysis {
  query: string;
  entities: string[];
  salient: string[];
  /** Share of the original question's entities still in the query; null when unknown or none. */
  kept: number | null;
}

export const keywords: Skill<KeywordsAnalysis> = defineSkill<KeywordsAnalysis>({
  name: "hotpotqa.keywords",
  domain: "general",
  failureModes: ["drop-entity", "generic-terms", "copy-query"],
  formatConcepts: ["follow-format", "no-preamble"],
  traits: ["query", "list"],
  analyze(call) {
    const query = call.inputs.rewritten_query ?? "";
    const entities = entityPhrases(query);
    const asked = entityPhrases(truth(call.oracle)?.question ?? "");
    return {
      query,
      entities,
      salient: salientWords(query, entities),
      kept: asked.length === 0 ? null : asked.filter((e) => contains(query, e)).length / asked.length,
    };
  },
  evidence(a) {
    return a.kept === null ? 0 : 1.5 * a.kept - 0.75;
  },
  good(a): Fields {
    return { search_keywords: [...a.entities, ...a.salient].join(", ") };
  },
  variants(a) {
    return [{ search_keywords: [...a.entities, ...a.salient].join(" ") }];
  },
  failure(mode, a, call): Fields {
    if (mode === "copy-query") return { search_keywords: a.query };
    if (mode === "generic-terms") return { search_keywords: a.salient.join(", ") };
    const dropped = pickFrom(a.entities, call.draws);
    return { search_keywords: [...a.entities.filter((e) => e !== dropped), ...a.salient].join(", ") };
  },
  checkDemo(demo) {
    const found = demo.outputs.search_keywords ?? "";
    return found.trim() !== "" && entityPhrases(demo.inputs.rewritten_query ?? "").every((e) => contains(found, e));
  },
});

interface RetrievedParagraph {
  title: string;
  text: string;
}

/** The retriever's content: one "Title | text" line per paragraph. */
function retrievedParagraphs(content: string): RetrievedParagraph[] {
  return content
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const cut = line.indexOf(" | ");
      return cut < 0 ? { title: "", text: line } : { title: line.slice(0, cut), text: line.slice(cut + 3) };
    });
}

function sentencesOf(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+(?=[\p{Lu}\p{N}"(])/u)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Sentences of the paragraphs ranked by word overlap with the query (ties keep text order). */
function overlapRanked(paragraphs: readonly RetrievedParagraph[], query: string): string[] {
  const q = new Set(retrievalTokens(query));
  return paragraphs
    .flatMap((p) => sentencesOf(p.text))
    .map((s, i) => ({ s, i, overlap: retrievalTokens(s).filter((w) => q.has(w)).length }))
    .sort((a, b) => b.overlap - a.overlap || a.i - b.i)
    .map((x) => x.s);
}

const DISTRACTION_FREE_PARAGRAPHS = 5;

function bullets(lines: readonly string[]): string {
  return lines.map((l) => `- ${l}`).join("\n");
}

/** The line naming the bridge entity, when its paragraph was retrieved. */
function bridgeLine(a: HintsAnalysis): string[] {
  const bridge = a.truth?.bridge;
  return bridge && a.paragraphs.some((p) => p.title === bridge) ? [`The question hinges on ${bridge}.`] : [];
}

interface HintsAnalysis {
  query: string;
  paragraphs: RetrievedParagraph[];
  truth: HotpotTruth | undefined;
  /** Gold supporting sentences that occur in the retrieved text, in oracle order. */
  support: string[];
}

export const hints: Skill<HintsAnalysis> = defineSkill<HintsAnalysis>({
  name: "hotpotqa.hints",
  domain: "general",
  failureModes: ["distractor", "partial", "restate"],
  formatConcepts: ["follow-format", "no-preamble"],
  traits: ["extract", "multi-hop", "context", "list"],
  analyze(call) {
    const paragraphs = retrievedParagraphs(call.inputs.retrieve_content ?? "");
    const t = truth(call.oracle);
    const support = (t?.supporting ?? []).filter((f) => paragraphs.some((p) => p.title === f.title && p.text.includes(f.sentence))).map((f) => f.sentence);
    return { query: call.inputs.rewritten_query ?? "", paragraphs, truth: t, support };
  },
  evidence(a) {
    if (a.paragraphs.length === 0) return -1.5;
    const distraction = 0.05 * Math.max(0, a.paragraphs.length - DISTRACTION_FREE_PARAGRAPHS);
    const gold = a.truth?.goldTitles ?? [];
    if (gold.length === 0) return -distraction;
    const found = gold.filter((t) => a.paragraphs.some((p) => p.title === t)).length / gold.length;
    return 1.2 * found - 0.5 - distraction;
  },
  good(a): Fields {
    if (a.support.length === 0) return { hints: bullets(overlapRanked(a.paragraphs, a.query).slice(0, 2)) };
    return { hints: bullets([...a.support, ...bridgeLine(a)]) };
  },
  variants(a) {
    return a.support.length > 1 ? [{ hints: bullets([...a.support].reverse().concat(bridgeLine(a))) }] : [];
  },
  partial(a) {
    return a.support.length > 1 ? { hints: bullets([...a.support.slice(0, -1), ...bridgeLine(a)]) } : undefined;
  },
  failure(mode, a): Fields {
    if (mode === "restate") return { hints: bullets([`Look for facts about ${a.query}`]) };
    if (mode === "partial") {
      const first = a.support[0] ?? overlapRanked(a.paragraphs, a.query)[0];
      return { hints: bullets(first ? [first] : []) };
    }
    const gold = new Set(a.truth?.goldTitles ?? []);
    const distractors = a.paragraphs.filter((p) => !gold.has(p.title));
    return { hints: bullets(overlapRanked(distractors.length > 0 ? distractors : a.paragraphs, a.query).slice(0, 2)) };
  },
  checkDemo(demo) {
    const content = demo.inputs.retrieve_content ?? "";
    const lines = (demo.outputs.hints ?? "").split("\n").map((l) => l.replace(/^-\s*/, "").trim()).filter(Boolean);
    return lines.length > 0 && lines.every((l) => content.includes(l));
  },
});

function isYesNo(answer: string): boolean {
  const a = normalizeAnswer(answer);
  return a === "yes" || a === "no";
}

/** Whether the hints let a reader reach the gold answer. */
function answerable(t: HotpotTruth, text: string): boolean {
  if (isYesNo(t.answer)) return t.supporting.length > 0 && t.supporting.every((f) => text.includes(f.sentence));
  const gold = normalizeAnswer(t.answer);
  return gold !== "" && ` ${normalizeAnswer(text)} `.includes(` ${gold} `);
}

/** Spans a reader would offer from the hints: entity phrases the query does not already name. */
function spansFromHints(text: string, query: string): string[] {
  return entityPhrases(text).filter((e) => !contains(query, e));
}

interface AnswerAnalysis {
  /** What the answerer means to say: the gold answer when reachable, else its best guess. */
  intended: string;
  hints: string;
  answerable: boolean | null;
  otherSpans: string[];
}

export const answer: Skill<AnswerAnalysis> = defineSkill<AnswerAnalysis>({
  name: "hotpotqa.answer",
  domain: "general",
  failureModes: ["other-span", "verbose"],
  formatConcepts: ["follow-format", "no-preamble"],
  traits: ["short-answer", "multi-hop", "context"],
  analyze(call) {
    const text = call.inputs.hints ?? "";
    const spans = spansFromHints(text, call.inputs.rewritten_query ?? "");
    const t = truth(call.oracle);
    const reachable = t ? answerable(t, text) : null;
    let intended: string;
    if (t && reachable) intended = t.answer;
    else if (t && isYesNo(t.answer)) intended = call.draws.pick(["yes", "no"]);
    else intended = pickFrom(spans, call.draws) ?? "unknown";
    return { intended, hints: text, answerable: reachable, otherSpans: spans.filter((s) => normalizeAnswer(s) !== normalizeAnswer(intended)) };
  },
  evidence(a) {
    if (a.answerable === null) return 0;
    return a.answerable ? 1.0 : -1.5;
  },
  good(a): Fields {
    return { answer: a.intended };
  },
  variants(a) {
    return a.answerable ? [{ answer: `${a.intended}.` }] : [];
  },
  partial(a, call) {
    if (!a.answerable || isYesNo(a.intended)) return undefined;
    const span = widenedSpan(a.intended, a.hints.split("\n").flatMap((l) => sentencesOf(l.replace(/^-\s*/, ""))), call.draws);
    return span === undefined ? undefined : { answer: span };
  },
  failure(mode, a, call): Fields {
    if (mode === "verbose") return { answer: `According to the hints, the answer is ${a.intended}.` };
    return { answer: pickFrom(a.otherSpans, call.draws) ?? "unknown" };
  },
  checkDemo(demo) {
    const given = (demo.outputs.answer ?? "").trim();
    if (given === "" || given.split(/\s+/).length > 6) return false;
    return isYesNo(given) || ` ${normalizeAnswer(demo.inputs.hints ?? "")} `.includes(` ${normalizeAnswer(given)} `);
  },
});

export const HOTPOTQA_SKILLS: readonly Skill[] = [rewrite, keywords, hints, answer];
