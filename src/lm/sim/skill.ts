import type { Fields, Json } from "../../core/json";
import type { ParsedRequest } from "../../core/signature";
import { CONCEPT_INDEX } from "./concepts";
import type { Draws } from "./hash";
import type { SkillShape } from "./world";

/**
 * How SimLM simulates one kind of LLM call (a *skill*, named by the component's `skill` routing
 * metadata, e.g. "toy.answer"). A skill reads only what a model would read — the parsed request
 * — plus the example's oracle, and declares:
 *
 * - `domain`: which specialist model it favours ("code" → sim-coder, "medical" → sim-med);
 * - `failureModes`: names of its wrong outputs (the world draws their rates);
 * - `formatConcepts`: concept ids (concepts.ts) whose presence moves its format compliance;
 * - `analyze`: reads the inputs (and oracle) once per call; the result feeds the methods below;
 * - `evidence`: the E term, on the logit scale, from the actual input text;
 * - `good` / `failure`: the output fields on success and for each failure mode, computed from the
 *   request's content (spans of the given text, items of the given list, …);
 * - `checkDemo`: whether a demonstration's output is correct (the D term), from its text alone;
 * - `formatFailure` (optional): the raw reply of a format failure; by default SimLM drops the
 *   field markers, or malforms the JSON of JSON fields.
 * - simlm@2 only (simlm@1 ignores them): `traits` (what the task is: which instruction concepts
 *   are relevant and which output format they may contradict, relevance.ts); `variants`, other
 *   correct surface forms of the good output (a paraphrase, another span choice, formatting the
 *   parser accepts); `partial`, a near miss the metric grades between right and wrong (a wider
 *   span, a summary missing one relevant sentence), or undefined when the metric grades nothing
 *   in between.
 *
 * To add a system's skills: write `src/lm/sim/skills/<system>.ts` exporting its skills (built
 * with `defineSkill`) and list them in `src/lm/sim/skills/index.ts`. Nothing else changes; the
 * world draws a new skill's parameters from its own streams, leaving other skills untouched.
 */

export interface SkillDemo {
  inputs: Readonly<Record<string, string>>;
  outputs: Readonly<Record<string, string>>;
}

/** One call as a skill sees it. */
export interface SkillCall {
  request: ParsedRequest;
  /** The request's input fields, as text. */
  inputs: Readonly<Record<string, string>>;
  /** The example's hidden truth; undefined without an example id or for an unknown one. */
  oracle: Json | undefined;
  model: string;
  temperature: number;
  /** Deterministic draws for the renderer's own choices (a function of the request). */
  draws: Draws;
}

export interface Skill<A = unknown> extends SkillShape {
  analyze(call: SkillCall): A;
  evidence(analysis: A, call: SkillCall): number;
  good(analysis: A, call: SkillCall): Fields;
  failure(mode: string, analysis: A, call: SkillCall): Fields;
  checkDemo(demo: SkillDemo): boolean;
  formatFailure?(outputs: Fields, call: SkillCall): string;
  variants?(analysis: A, call: SkillCall): Fields[];
  partial?(analysis: A, call: SkillCall): Fields | undefined;
}

/** Validates a skill declaration (a mistake here is a programming error, reported at load). */
export function defineSkill<A>(skill: Skill<A>): Skill<A> {
  if (!/^[a-z][\w-]*\.[\w.-]+$/.test(skill.name)) throw new Error(`SimLM skill name "${skill.name}" must look like "<system>.<task>"`);
  if (skill.failureModes.length === 0) throw new Error(`SimLM skill "${skill.name}" declares no failure modes`);
  if (new Set(skill.failureModes).size !== skill.failureModes.length) throw new Error(`SimLM skill "${skill.name}" repeats a failure mode`);
  for (const id of skill.formatConcepts) {
    if (!CONCEPT_INDEX.has(id)) throw new Error(`SimLM skill "${skill.name}": unknown format concept "${id}" (see src/lm/sim/concepts.ts)`);
  }
  return skill;
}

/** The text of an oracle field, or "" when absent. */
export function oracleText(oracle: Json | undefined, key: string): string {
  if (oracle === null || typeof oracle !== "object" || Array.isArray(oracle)) return "";
  const v = oracle[key];
  return typeof v === "string" ? v : "";
}
