import type { Json } from "../../../core/json";
import type { Constraint } from "../../../data/synthprime";
import { defineSkill, type Skill, type SkillCall, type SkillDemo } from "../skill";

/**
 * Skills of the STaRK-Prime system (src/systems/stark; the final scorer is not an LLM). Both read
 * the question and the five candidates' rendered information — `relation_info` or `text_info`,
 * a JSON list of five strings — and write a JSON object `{"1": s1, …, "5": s5}`.
 *
 * - stark.relation_score: good scores each candidate by the share of the query's relational
 *   constraints its relation lines show, by string matching (`  - target (gene/protein): A, B`
 *   lists the linked names); stark.text_score the same for textual constraints on its property
 *   lines (`  - route: oral`). A constraint cut off by the 1024-character limit is not seen.
 *   Constraints come from the oracle (SynthPrime's `constraints`); without them (real STaRK
 *   data) a candidate scores by how many of its listed names or property values the question
 *   mentions.
 * - Failures: noisy scores, uniform scores, or malformed JSON (unquoted keys, a fenced block, a
 *   Python dict, a list, trailing prose) that the reference parser turns into zeros.
 * - E = 0 when five candidates are readable, −1 when the information is not a list of five.
 * - simlm@2 forms: the same scores written compactly (`{"1":1,"2":0.5,…}`); the near miss scores
 *   on a coarse scale (0, 0.5, 1), so candidates that differ finely tie (a partial MRR).
 */

type ScoreKind = "relation" | "text";

const CANDIDATES = 5;
const UNREADABLE = -1.0;
const NOISE = 0.8;
const FORMAT_CONCEPTS = ["json-only", "follow-format"];

/** The five candidates' descriptions, or undefined when the field is not a JSON list of strings. */
function candidateInfos(text: string): string[] | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) && value.every((v) => typeof v === "string") ? (value as string[]) : undefined;
  } catch {
    return undefined;
  }
}

function constraintsOf(oracle: Json | undefined, kind: ScoreKind): Constraint[] | undefined {
  if (oracle === null || typeof oracle !== "object" || Array.isArray(oracle) || !Array.isArray(oracle.constraints)) return undefined;
  return (oracle.constraints as unknown as Constraint[]).filter((c) => c.kind === kind);
}

/** `  - label (type): A, B, C` lines of a relation summary, and `  - key: value` lines of a text document. */
const RELATION_LINE = /^\s*- (.+?) \((.+?)\): (.*)$/;
const PROPERTY_LINE = /^\s*- ([\w -]+): (.+)$/;

function shows(info: string, c: Constraint): boolean {
  return info.split("\n").some((line) => {
    if (c.kind === "text") return line.trim() === `- ${c.property}: ${c.value}`;
    const m = RELATION_LINE.exec(line);
    return m !== null && m[1] === c.relation && m[2] === c.entityType && m[3]!.split(", ").includes(c.entityName);
  });
}

/** What a candidate's information lists: linked names (relations) or property values (text). */
function listedPhrases(info: string, kind: ScoreKind): string[] {
  return info.split("\n").flatMap((line) => {
    if (kind === "relation") return RELATION_LINE.exec(line)?.[3]?.split(", ") ?? [];
    const m = PROPERTY_LINE.exec(line);
    return m && !["name", "type", "source", "description"].includes(m[1]!) && m[2]!.length <= 60 ? [m[2]!] : [];
  });
}

/** Per candidate, the share of the constraints it shows; without constraints, mentions of its listed phrases in the question. */
function matchScores(question: string, infos: readonly string[], kind: ScoreKind, constraints: readonly Constraint[] | undefined): number[] {
  if (constraints !== undefined) {
    if (constraints.length === 0) return infos.map(() => 0.5);
    return infos.map((info) => constraints.filter((c) => shows(info, c)).length / constraints.length);
  }
  const q = question.toLowerCase();
  const counts = infos.map((info) => new Set(listedPhrases(info, kind).filter((p) => q.includes(p.toLowerCase()))).size);
  const most = Math.max(0, ...counts);
  return counts.map((n) => (most === 0 ? 0.5 : n / most));
}

const decimal = (x: number): string => (Number.isInteger(x) ? x.toFixed(1) : String(Math.round(x * 100) / 100));

/** `{"1": 1.0, "2": 0.5, …}`, as a model that follows the format writes it. */
function scoreJson(scores: readonly number[]): string {
  return `{${scores.map((s, i) => `"${i + 1}": ${decimal(s)}`).join(", ")}}`;
}

interface ScoreAnalysis {
  infos: string[] | undefined;
  scores: number[];
}

function defineScorer(kind: ScoreKind, infoField: string, outputField: string): Skill<ScoreAnalysis> {
  const write = (text: string) => ({ [outputField]: text });
  return defineSkill<ScoreAnalysis>({
    name: kind === "relation" ? "stark.relation_score" : "stark.text_score",
    domain: "general",
    failureModes: ["noisy", "uniform", "malformed"],
    formatConcepts: FORMAT_CONCEPTS,
    traits: ["json", "score"],
    analyze(call: SkillCall) {
      const infos = candidateInfos(call.inputs[infoField] ?? "");
      const scores = infos ? matchScores(call.inputs.question ?? "", infos, kind, constraintsOf(call.oracle, kind)) : Array<number>(CANDIDATES).fill(0.5);
      return { infos, scores };
    },
    evidence: (a) => (a.infos?.length === CANDIDATES ? 0 : UNREADABLE),
    good: (a) => write(scoreJson(a.scores)),
    variants: (a) => [write(JSON.stringify(Object.fromEntries(a.scores.map((s, i) => [String(i + 1), Math.round(s * 100) / 100]))))],
    partial: (a) => write(scoreJson(a.scores.map((s) => Math.round(s * 2) / 2))),
    failure(mode, a, call) {
      const d = call.draws;
      if (mode === "uniform") {
        const value = d.pick([0.5, 0.8, 1]);
        return write(scoreJson(a.scores.map(() => value)));
      }
      const noisy = a.scores.map((s) => Math.round(10 * Math.min(1, Math.max(0, s + (d.next() - 0.5) * NOISE))) / 10);
      if (mode === "noisy") return write(scoreJson(noisy));
      const pairs = noisy.map((s, i) => [i + 1, decimal(s)] as const);
      const malformed = [
        `{${pairs.map(([k, v]) => `${k}: ${v}`).join(", ")}}`,
        `\`\`\`json\n${scoreJson(noisy)}\n\`\`\``,
        `{${pairs.map(([k, v]) => `'${k}': ${v}`).join(", ")}}`,
        `[${pairs.map(([, v]) => v).join(", ")}]`,
        `${scoreJson(noisy)}\nThese scores reflect how well each entity matches the query.`,
      ];
      return write(d.pick(malformed));
    },
    checkDemo(demo: SkillDemo) {
      const infos = candidateInfos(demo.inputs[infoField] ?? "");
      let given: unknown;
      try {
        given = JSON.parse(demo.outputs[outputField] ?? "");
      } catch {
        return false;
      }
      if (!infos || given === null || typeof given !== "object" || Array.isArray(given)) return false;
      const values = Object.values(given as Record<string, unknown>);
      if (values.length !== infos.length || !values.every((v) => typeof v === "number")) return false;
      // Correct when the demo ranks first a candidate the question's mentions rank first.
      const expected = matchScores(demo.inputs.question ?? "", infos, kind, undefined);
      const top = (xs: readonly number[]): number => xs.indexOf(Math.max(...xs));
      return expected[top(values as number[])] === Math.max(...expected);
    },
  });
}

export const starkRelationScore = defineScorer("relation", "relation_info", "relation_scores");
export const starkTextScore = defineScorer("text", "text_info", "text_scores");

export const STARK_SKILLS: readonly Skill[] = [starkRelationScore, starkTextScore];
