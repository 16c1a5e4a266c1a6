import type { Fields, Json } from "../../core/json";
import type { ParsedRequest } from "../../core/signature";
import type { SkillDomain, World } from "./world";

/**
 * How a system's LLM component is simulated. A skill reads only the parsed request (what a model
 * would read) plus the example's oracle, declares its evidence term E, its good output, its
 * failure modes and its demo checker. Skills register themselves in `SKILLS` (see
 * skills/index.ts); add a system's skills by adding a file there.
 */
export interface SkillCall {
  request: ParsedRequest;
  model: string;
  temperature: number;
  /** Ground truth for the example (gold answers, canonical code …); undefined without an example id. */
  oracle: Json | undefined;
  world: World;
  /** A deterministic uniform draw for this call and a named purpose (same call, same purpose, same draw). */
  u(purpose: string): number;
}

export interface Skill {
  name: string;
  domain: SkillDomain;
  failureModes: readonly string[];
  /** E: evidence in the inputs, on the logit scale (0 when the inputs carry no signal). */
  evidence(call: SkillCall): number;
  good(call: SkillCall): Fields;
  fail(mode: string, call: SkillCall): Fields;
  /** Whether a demonstration's output is correct (the D term); default: never counted. */
  checkDemo?(demo: { inputs: Record<string, string>; outputs: Record<string, string> }, call: SkillCall): boolean;
}

/** Meta-skills answer from the request alone, without the quality draw of system skills. */
export interface MetaSkill {
  name: string;
  respond(call: SkillCall, target: string | undefined): Fields;
}

export const SKILLS = new Map<string, Skill>();
export const META_SKILLS = new Map<string, MetaSkill>();

export function registerSkill(skill: Skill): void {
  if (SKILLS.has(skill.name)) throw new Error(`SimLM skill "${skill.name}" is registered twice`);
  SKILLS.set(skill.name, skill);
}

export function registerMetaSkill(skill: MetaSkill): void {
  META_SKILLS.set(skill.name, skill);
}

/** A candidate's fields as text, as the oracle-free parts of skills need them. */
export function text(value: Json | undefined): string {
  if (typeof value === "string") return value;
  return value === undefined ? "" : JSON.stringify(value);
}
