import type { Fields, Json } from "../../../core/json";
import type { ParsedRequest } from "../../../core/signature";
import { retrievalTokens } from "../../../data/text";
import { normalizeAnswer } from "../../../metrics/f1";
import type { TaskTrait } from "../relevance";
import { defineSkill, type Skill, type SkillCall } from "../skill";
import { widenedSpan } from "./spans";

/**
 * simlm@2's generic skill: serves any LLM component SimLM has no skill for, so a user's own
 * compound system runs offline without SimLM code. The user registers an oracle for each example
 * (`OracleStore.register(prefix, id => ({ <output field>: gold, … }))`), giving the gold value of
 * the final output only or of any component's output fields, by field name.
 *
 * Per call, with the inputs the component actually received:
 * - A component whose output fields have gold values ("answering") writes the gold on success
 *   when it can reach it: the gold occurs in its inputs, or it is a label the model can infer
 *   (yes, no, maybe, true, false, or a label its instruction names). The gold comes in its plain
 *   form or with a final period; its near miss is the gold widened by a neighbouring word of the
 *   inputs (partial token F1). Without a reachable gold, success is its best guess, the phrase of
 *   the input sentence closest to the question. Failures are another phrase of the inputs, a verbose
 *   sentence, or "unknown". E = +0.8 when the gold occurs in the inputs (less 0.02 per input
 *   sentence beyond 10, as more text distracts), −0.3 for an inferable label, and
 *   −1.5 + 1.2·(share of the gold's words present) otherwise.
 * - A component without gold outputs ("carrying", e.g. a retriever-reader upstream) passes on
 *   the input sentences that hold the final gold: good is those sentences in input order, a
 *   variant lists them one per line; the near miss adds a distractor sentence; failures are
 *   distractor sentences, every sentence copied, or a refusal. E = +0.6 when some sentence holds
 *   the gold (less 0.05 per sentence beyond 5), else −1.0.
 * So an upstream component that drops the gold-bearing text lowers every downstream quality, as
 * with the built-in skills. Traits (relevance.ts) come from the signature alone: JSON outputs
 * make a "json" task, text outputs an extractive short-answer task over a context.
 */

const FOUND_FINAL = 0.8;
const FOUND_CARRIED = 0.6;
const INFERABLE_ABSENT = -0.3;
const COPY_ABSENT = -1.5;
const COPY_SHARE = 1.2;
const CARRIED_ABSENT = -1.0;
/** Answers a model can give without seeing them in its inputs. */
const CLOSED_LABELS = new Set(["yes", "no", "maybe", "true", "false"]);
const FINAL_FREE_SENTENCES = 10;
const FINAL_PER_SENTENCE = 0.02;
const CARRIED_FREE_SENTENCES = 5;
const CARRIED_PER_SENTENCE = 0.05;

/** Whether an oracle can drive the generic skill: an object with at least one gold value. */
export function servesGeneric(oracle: Json | undefined): boolean {
  return oracle !== null && typeof oracle === "object" && !Array.isArray(oracle) && Object.values(oracle).some((v) => v !== null);
}

function goldText(value: Json): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function contains(text: string, gold: string): boolean {
  const g = normalizeAnswer(gold);
  return g !== "" && ` ${normalizeAnswer(text)} `.includes(` ${g} `);
}

/** The inputs as sentences (one per line, then split after . ! ?), in input order. */
function sentencesOf(inputs: Readonly<Record<string, string>>): string[] {
  return Object.values(inputs)
    .flatMap((text) => text.split("\n"))
    .flatMap((line) => line.match(/[^.!?]+[.!?]*/g) ?? [])
    .map((s) => s.trim())
    .filter((s) => s.length > 1);
}

function wordsOf(text: string): string[] {
  return normalizeAnswer(text).split(" ").filter(Boolean);
}

/** The sentence sharing the most words with the shortest input (the question, in most signatures). */
function closestToQuestion(inputs: Readonly<Record<string, string>>, sentences: readonly string[]): string {
  const question = Object.values(inputs)
    .filter((v) => v.trim() !== "")
    .sort((x, y) => x.length - y.length)[0];
  const asked = new Set(retrievalTokens(question ?? ""));
  let best = sentences[0] ?? "";
  let most = -1;
  for (const s of sentences) {
    const shared = retrievalTokens(s).filter((w) => asked.has(w)).length;
    if (shared > most && s !== question) [best, most] = [s, shared];
  }
  return best;
}


/** Phrases of the inputs a wrong answer would name: capitalized runs and numbers. */
function phrases(sentences: readonly string[]): string[] {
  return [...new Set(sentences.flatMap((s) => s.match(/\b(?:[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*|\d[\d.,]*)\b/g) ?? []))];
}

interface GenericAnalysis {
  outputNames: string[];
  json: ReadonlySet<string>;
  sentences: string[];
  /** Gold values of this component's own output fields, by field name. */
  own: ReadonlyMap<string, Json>;
  /** Sentences holding some gold value (carrying components), in input order. */
  carried: string[];
  /** Every gold text of the example. */
  golds: string[];
  /** Whether the model can reach its own gold values: present in the inputs, or inferable labels. */
  reachable: boolean;
  /** Whether they are present in the inputs. */
  present: boolean;
  /** What the component says when it cannot reach the gold: the sentence closest to the question. */
  guess: string;
}

function fill(a: GenericAnalysis, value: (name: string) => Json): Fields {
  return Object.fromEntries(a.outputNames.map((name) => [name, value(name)]));
}

/** Text fields get `text`; JSON fields their gold when known, else the text as a one-item list. */
function fillText(a: GenericAnalysis, text: (name: string) => string): Fields {
  return fill(a, (name) => (a.json.has(name) ? (a.own.get(name) ?? [text(name)]) : text(name)));
}

function answering(a: GenericAnalysis): boolean {
  return a.own.size > 0;
}

function ownGold(a: GenericAnalysis, name: string): string | undefined {
  const v = a.own.get(name);
  return v === undefined ? undefined : goldText(v);
}

function distractors(a: GenericAnalysis): string[] {
  return a.sentences.filter((s) => !a.carried.includes(s));
}

/** The generic skill's name for a request: its output fields, and whether they are JSON (the world draws one skill per name). */
export function genericSkillName(request: ParsedRequest): string {
  return `generic.${request.outputNames.join("-") || "reply"}${request.jsonOutputs.length > 0 ? ".json" : ""}`;
}

/** The generic skill for a request's output signature. */
export function genericSkill(request: ParsedRequest): Skill<GenericAnalysis> {
  const json = new Set(request.jsonOutputs);
  const traits: TaskTrait[] = json.size > 0 ? ["json", "context"] : ["short-answer", "extract", "context"];
  return defineSkill<GenericAnalysis>({
    name: genericSkillName(request),
    domain: "general",
    failureModes: ["other-span", "verbose", "no-answer"],
    formatConcepts: json.size > 0 ? ["json-only", "follow-format"] : ["follow-format", "no-preamble"],
    traits,
    analyze(call: SkillCall) {
      const oracle = call.oracle !== null && typeof call.oracle === "object" && !Array.isArray(call.oracle) ? call.oracle : {};
      const own = new Map<string, Json>();
      for (const name of call.request.outputNames) if (oracle[name] !== undefined && oracle[name] !== null) own.set(name, oracle[name]!);
      const golds = Object.values(oracle).flatMap((v) => (v === null || v === undefined ? [] : [goldText(v)]));
      const sentences = sentencesOf(call.inputs);
      const text = Object.values(call.inputs).join("\n");
      const ownGolds = [...own.values()].map(goldText);
      const present = ownGolds.every((g) => contains(text, g));
      const inferable = ownGolds.every((g) => CLOSED_LABELS.has(normalizeAnswer(g)) || contains(call.request.instruction, g));
      return {
        outputNames: call.request.outputNames,
        json,
        sentences,
        own,
        golds,
        carried: sentences.filter((s) => golds.some((g) => contains(s, g))),
        present,
        reachable: present || inferable,
        guess: closestToQuestion(call.inputs, sentences),
      };
    },
    evidence(a, call) {
      if (!answering(a)) {
        return a.carried.length > 0 ? FOUND_CARRIED - CARRIED_PER_SENTENCE * Math.max(0, a.sentences.length - CARRIED_FREE_SENTENCES) : CARRIED_ABSENT;
      }
      if (a.present) return FOUND_FINAL - FINAL_PER_SENTENCE * Math.max(0, a.sentences.length - FINAL_FREE_SENTENCES);
      if (a.reachable) return INFERABLE_ABSENT;
      const words = [...a.own.values()].map(goldText).flatMap(wordsOf);
      const seen = new Set(wordsOf(Object.values(call.inputs).join("\n")));
      return COPY_ABSENT + (COPY_SHARE * words.filter((w) => seen.has(w)).length) / words.length;
    },
    good(a) {
      if (answering(a)) return a.reachable ? fill(a, (name) => a.own.get(name) ?? a.carried.join(" ")) : fillText(a, () => a.guess);
      return fillText(a, () => (a.carried.length > 0 ? a.carried.join(" ") : a.guess));
    },
    variants(a) {
      if (answering(a) && !a.reachable) return [];
      if (answering(a)) return [fill(a, (name) => (a.json.has(name) ? (a.own.get(name) ?? null) : `${ownGold(a, name) ?? a.carried.join(" ")}.`.replace(/\.\.$/, ".")))];
      return a.carried.length > 1 ? [fillText(a, () => a.carried.join("\n"))] : [];
    },
    partial(a, call) {
      if (!answering(a)) {
        const extra = distractors(a)[0];
        return extra === undefined || a.carried.length === 0 ? undefined : fillText(a, () => [...a.carried, extra].join(" "));
      }
      if (!a.present || [...a.own.keys()].some((name) => a.json.has(name))) return undefined;
      const spans = new Map([...a.own.keys()].map((name) => [name, widenedSpan(ownGold(a, name)!, a.sentences, call.draws)]));
      return [...spans.values()].every((s) => s !== undefined) ? fill(a, (name) => spans.get(name) ?? "") : undefined;
    },
    failure(mode, a, call) {
      if (mode === "no-answer") return fillText(a, () => (answering(a) ? "unknown" : "No relevant information found."));
      if (mode === "verbose") {
        const about = a.carried[0] ?? a.sentences[0] ?? "the input says nothing definite";
        return answering(a) ? fillText(a, () => `Based on the input, ${about.charAt(0).toLowerCase()}${about.slice(1)}`) : fillText(a, () => a.sentences.join(" "));
      }
      if (!answering(a)) {
        const others = distractors(a);
        return fillText(a, () => (others.length > 0 ? others.slice(0, Math.max(1, a.carried.length)).join(" ") : "No relevant information found."));
      }
      const wrong = phrases(a.sentences).filter((p) => !a.golds.some((g) => normalizeAnswer(g) === normalizeAnswer(p)));
      return fillText(a, () => (wrong.length > 0 ? call.draws.pick(wrong) : "unknown"));
    },
    checkDemo(demo) {
      return Object.values(demo.outputs).some((v) => v.trim() !== "");
    },
  });
}
