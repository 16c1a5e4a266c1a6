import { CONCEPT_INDEX, CONCEPTS } from "./concepts";

/**
 * What simlm@2 knows about the concept bank beyond simlm@1 (docs/simlm.md, "Instruction effects"):
 * which kinds of task each concept is relevant to, which output formats a concept contradicts,
 * and which concepts contradict each other. The phrasings themselves are simlm@1's, unchanged, so
 * proposers and critics read and write the same instructions in both versions.
 *
 * A skill declares its task with traits; a concept is relevant to a skill when it names one of
 * the skill's traits, or "any" (instruction-following concepts that apply to every task).
 */

/** What a skill's task is: what it reads and what it writes. */
export type TaskTrait =
  | "short-answer" // a few words, graded by overlap with a gold answer
  | "label" // one of a closed set of labels or indices
  | "extract" // copies text out of its inputs
  | "context" // reads a passage or document
  | "multi-hop" // combines facts from several passages
  | "query" // writes a search query or keywords
  | "list" // writes several items
  | "summary" // condenses its inputs
  | "json" // writes JSON
  | "code" // writes a program
  | "tests" // writes unit tests
  | "score" // scores or ranks candidates
  | "recommend" // predicts a user's choice
  | "medical"; // reads biomedical text

/** The format a skill's reply must keep for its parser, derived from its traits. */
export type OutputFormat = "json" | "code" | "label" | "list" | "span" | "prose";

export function outputFormat(traits: readonly TaskTrait[]): OutputFormat {
  if (traits.includes("json")) return "json";
  if (traits.includes("code") || traits.includes("tests")) return "code";
  if (traits.includes("label")) return "label";
  if (traits.includes("list") || traits.includes("query")) return "list";
  if (traits.includes("short-answer") || traits.includes("extract")) return "span";
  return "prose";
}

interface ConceptScope {
  /** Traits the concept bears on; "any" for every task; [] for none (tone, persona, emphasis). */
  relevantTo: readonly TaskTrait[] | "any";
  /** Output formats the concept asks a model to break (it adds lines, prose or markup). */
  contradicts?: readonly OutputFormat[];
}

const NOT_PROSE: readonly OutputFormat[] = ["json", "code", "label", "list", "span"];

/** Each concept's scope, by concept id (every concept of the bank has one). */
const SCOPES: Readonly<Record<string, ConceptScope>> = {
  concise: { relevantTo: ["short-answer", "label", "query", "list", "extract"] },
  "one-sentence": { relevantTo: ["short-answer", "summary"], contradicts: ["json", "code", "list"] },
  "step-by-step": { relevantTo: ["multi-hop", "code", "score"], contradicts: ["json", "label", "span"] },
  "quote-evidence": { relevantTo: ["context", "extract", "multi-hop"], contradicts: ["json", "label", "code"] },
  "context-only": { relevantTo: ["context", "extract", "multi-hop", "summary", "short-answer"] },
  "careful-reading": { relevantTo: "any" },
  "expert-role": { relevantTo: [] },
  "double-check": { relevantTo: "any" },
  "exact-span": { relevantTo: ["extract", "short-answer"] },
  entities: { relevantTo: ["query", "multi-hop"] },
  relevance: { relevantTo: ["context", "summary", "extract", "multi-hop"] },
  comprehensive: { relevantTo: ["summary", "tests"] },
  creative: { relevantTo: [] },
  confident: { relevantTo: ["label", "short-answer"] },
  "admit-uncertainty": { relevantTo: ["label", "short-answer"], contradicts: ["json", "label"] },
  bridge: { relevantTo: ["multi-hop"] },
  keywords: { relevantTo: ["query"] },
  "compare-options": { relevantTo: ["label", "recommend", "score"] },
  "answer-line": { relevantTo: ["label"], contradicts: ["json", "code", "list", "span"] },
  "json-only": { relevantTo: ["json"], contradicts: NOT_PROSE.filter((f) => f !== "json") },
  "follow-format": { relevantTo: "any" },
  "no-preamble": { relevantTo: "any" },
  "bullet-points": { relevantTo: ["list"], contradicts: ["json", "code", "label", "span"] },
  "summarize-first": { relevantTo: ["multi-hop"], contradicts: ["json", "code", "label", "span"] },
  "state-confidence": { relevantTo: [], contradicts: ["json", "code", "label", "span"] },
  "edge-cases": { relevantTo: ["code", "tests"] },
  "pass-tests": { relevantTo: ["code"] },
  "document-code": { relevantTo: ["code"] },
  imports: { relevantTo: ["code"] },
  clinical: { relevantTo: ["medical"] },
  "balanced-labels": { relevantTo: ["label"] },
  "check-constraints": { relevantTo: ["score", "code", "recommend"] },
  "user-preferences": { relevantTo: ["recommend"] },
  polite: { relevantTo: [] },
  formal: { relevantTo: [] },
  restate: { relevantTo: [], contradicts: ["json", "label", "span"] },
  importance: { relevantTo: [] },
  "self-consistency": { relevantTo: ["label", "multi-hop", "code", "score"] },
  "no-repetition": { relevantTo: ["summary", "list", "query"] },
  "question-focus": { relevantTo: ["short-answer", "label", "multi-hop", "extract", "summary"] },
  numbers: { relevantTo: ["code", "score"] },
};

/** Pairs of concepts a model cannot follow together (one asks for what the other forbids). */
const CONFLICTS: readonly (readonly [string, string])[] = [
  ["concise", "comprehensive"],
  ["one-sentence", "comprehensive"],
  ["one-sentence", "bullet-points"],
  ["one-sentence", "step-by-step"],
  ["concise", "step-by-step"],
  ["confident", "admit-uncertainty"],
  ["context-only", "creative"],
  ["exact-span", "creative"],
  ["no-preamble", "restate"],
  ["no-preamble", "summarize-first"],
  ["no-preamble", "state-confidence"],
  ["json-only", "answer-line"],
  ["json-only", "bullet-points"],
  ["json-only", "quote-evidence"],
  ["exact-span", "summarize-first"],
];

for (const id of Object.keys(SCOPES)) if (!CONCEPT_INDEX.has(id)) throw new Error(`relevance.ts names unknown concept "${id}"`);
for (const c of CONCEPTS) if (!SCOPES[c.id]) throw new Error(`relevance.ts has no scope for concept "${c.id}"`);

/** Whether concept `index` bears on a task with these traits. */
export function isRelevant(index: number, traits: readonly TaskTrait[]): boolean {
  const scope = SCOPES[CONCEPTS[index]!.id]!.relevantTo;
  return scope === "any" || scope.some((t) => traits.includes(t));
}

/** Whether concept `index` asks for something the format breaks. */
export function contradictsFormat(index: number, format: OutputFormat): boolean {
  return SCOPES[CONCEPTS[index]!.id]!.contradicts?.includes(format) ?? false;
}

/** The conflicting pairs as concept indices. */
export const CONFLICT_PAIRS: readonly (readonly [number, number])[] = CONFLICTS.map(([a, b]) => {
  const i = CONCEPT_INDEX.get(a);
  const j = CONCEPT_INDEX.get(b);
  if (i === undefined || j === undefined) throw new Error(`relevance.ts: unknown concept in conflict ${a}/${b}`);
  return [i, j] as const;
});
