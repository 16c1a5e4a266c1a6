import type { Fields } from "../../../core/json";
import type { ParsedRequest } from "../../../core/signature";
import { parseScoredInstructions } from "../../meta-prompts";
import { addPhrasing, CONCEPTS, dropConcept, findPhrasing, profileInstruction, replacePhrasing, type VisibleFailure } from "../concepts";
import type { Draws } from "../hash";
import type { Skill } from "../skill";
import type { World } from "../world";

/**
 * SimLM's meta-skills: what optimizers call to propose, critique and edit instructions, and the
 * LLM judge. The meta-prompts themselves (signatures, the scored-history text, `callMeta`) are
 * defined once in src/lm/meta-prompts.ts and used by every method; this file reads them.
 *
 * Routing: the skill name carries the target, `meta.propose:<targetSkill>` (likewise
 * `meta.critique:`, `meta.edit:`); `judge.score` ignores any target (it is blind by design).
 *
 * Fields read (signature inputs → output):
 * - meta.propose: `scored_instructions` (blocks "Instruction #i:\n<text>\nScore: <x>", ascending),
 *   `component_description`, `tip`; when the history is empty, `instruction` or
 *   `current_instruction` → `proposed_instruction`.
 * - meta.critique: `instruction`, `component_output`, `feedback`, `component_description` →
 *   `critique`, lines "Add: <phrasing>" / "Remove: <phrasing>".
 * - meta.edit: `instruction`, `critique` (those lines) → `edited_instruction`.
 * - judge.score: `component_description`, `component_inputs`, `component_output` → `score`, an
 *   integer 1–10 as text.
 * A reply fills the output named above, or the request's first output field if it has no such one.
 *
 * Behaviour (simlm@1):
 * - Beliefs: the proposing model knows the target skill's concept weights only as ŵ = w + N(0, σ)
 *   (world.ts; σ shrinks with the model's meta ability; an unknown target has w = 0).
 * - meta.propose starts from the best-scored instruction it can read and applies 1–3 edits: add a
 *   concept phrasing (probability 1/2; concept ∝ exp(κ·ŵ) among absent ones), drop one (1/4;
 *   ∝ exp(−κ·ŵ) among present ones) or rephrase one (1/4; uniform). The result always differs.
 * - meta.critique names one or two concepts: an addition ∝ exp(κ·ŵ + 1.5·[the concept remedies
 *   the failure visible in the output]), then with probability 1/2 a removal of a concept believed
 *   harmful (or a second addition).
 * - meta.edit applies the critique's lines literally.
 * - judge.score: z = −0.5 + 2.5·overlap − verbosity − 3·(share of empty fields) + N(0, 0.5 + σ),
 *   score = round(1 + 9·sigmoid(z)); overlap is the share of output words found in the inputs,
 *   verbosity max(0, words − 40)/40. It never reads the oracle.
 */

const KAPPA = 3;
const REMEDY_BONUS = 1.5;
const VERBOSE_WORDS = 25;

export interface MetaCall {
  request: ParsedRequest;
  inputs: Readonly<Record<string, string>>;
  model: string;
  temperature: number;
  draws: Draws;
  world: World;
  /** The skill being improved, when the routing name carries a known one. */
  target: Skill | undefined;
}

export interface MetaSkill {
  name: string;
  respond(call: MetaCall): Fields;
}

/** Index drawn with probability ∝ exp(κ·score). */
function softPick(scores: readonly number[], draws: Draws): number {
  const top = Math.max(...scores);
  return draws.weighted(scores.map((s) => Math.exp(KAPPA * (s - top))));
}

function gaussian(draws: Draws): number {
  return Math.sqrt(-2 * Math.log(Math.max(draws.next(), 1e-12))) * Math.cos(2 * Math.PI * draws.next());
}

function allIndices(): number[] {
  return CONCEPTS.map((_, i) => i);
}

/** Puts the result in the conventional output field, or the request's first output. */
function reply(call: MetaCall, field: string, value: string): Fields {
  const name = call.request.outputNames.includes(field) ? field : (call.request.outputNames[0] ?? field);
  return { [name]: value };
}

function addConcept(instruction: string, index: number, draws: Draws): string {
  return addPhrasing(instruction, draws.pick(CONCEPTS[index]!.phrasings));
}

/** One proposer edit under belief ŵ. */
function proposeEdit(instruction: string, belief: Float64Array, draws: Draws): string {
  const { concepts: present, present: isPresent } = profileInstruction(instruction);
  const absent = allIndices().filter((i) => !isPresent.has(i));
  const r = draws.next();
  if (present.length === 0 || r < 0.5) return addConcept(instruction, absent[softPick(absent.map((i) => belief[i]!), draws)]!, draws);
  if (r < 0.75) return dropConcept(instruction, present[softPick(present.map((i) => -belief[i]!), draws)]!);
  const index = draws.pick(present);
  const hit = findPhrasing(instruction, index)!;
  const current = instruction.slice(hit.at, hit.at + hit.length).toLowerCase().replace(/\.$/, "");
  const others = CONCEPTS[index]!.phrasings.filter((p) => p.toLowerCase().replace(/\.$/, "") !== current);
  return replacePhrasing(instruction, index, draws.pick(others));
}

/** The instruction a proposer starts from: the best-scored one in the history, else the current one. */
function startingInstruction(inputs: Readonly<Record<string, string>>): string {
  const history = parseScoredInstructions(inputs.scored_instructions ?? "");
  const best = history.reduce<{ instruction: string; score: number } | undefined>((b, h) => (b === undefined || h.score > b.score ? h : b), undefined);
  return best?.instruction ?? inputs.instruction ?? inputs.current_instruction ?? "";
}

const propose: MetaSkill = {
  name: "meta.propose",
  respond(call) {
    const start = startingInstruction(call.inputs);
    const belief = call.world.belief(call.model, call.target);
    let instruction = start;
    const edits = 1 + call.draws.int(3);
    for (let i = 0; i < edits; i++) instruction = proposeEdit(instruction, belief, call.draws);
    // Edits can cancel out (add, then drop the same concept); a proposal always changes something.
    while (instruction.trim() === start.trim()) instruction = proposeEdit(instruction, belief, call.draws);
    return reply(call, "proposed_instruction", instruction);
  },
};

/** The symptom a critic can see in an output (the output text, or a JSON object of fields). */
export function visibleFailure(output: string): VisibleFailure | undefined {
  let text = output;
  try {
    const parsed: unknown = JSON.parse(output);
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
      const values = Object.values(parsed as Record<string, unknown>);
      if (values.some((v) => v === null)) return "malformed";
      text = values.map((v) => (typeof v === "string" ? v : JSON.stringify(v))).join(" ");
    }
  } catch {
    // Plain text output.
  }
  const words = text.match(/[\p{L}\p{N}]+/gu)?.length ?? 0;
  if (words === 0) return "empty";
  if (/\b(unknown|not sure|cannot determine|don't know|no answer)\b/i.test(text)) return "hedging";
  if (words > VERBOSE_WORDS) return "verbose";
  return undefined;
}

const critique: MetaSkill = {
  name: "meta.critique",
  respond(call) {
    const instruction = call.inputs.instruction ?? call.inputs.current_instruction ?? "";
    const belief = call.world.belief(call.model, call.target);
    const failure = visibleFailure(call.inputs.component_output ?? "");
    const { concepts: present, present: isPresent } = profileInstruction(instruction);
    const absent = allIndices().filter((i) => !isPresent.has(i));
    const addScore = (i: number): number => belief[i]! + (failure && CONCEPTS[i]!.remedies?.includes(failure) ? REMEDY_BONUS / KAPPA : 0);
    const first = absent[softPick(absent.map(addScore), call.draws)]!;
    const lines = [`Add: ${call.draws.pick(CONCEPTS[first]!.phrasings)}`];
    if (call.draws.next() < 0.5) {
      const harmful = present.filter((i) => belief[i]! < 0);
      if (harmful.length > 0) {
        const drop = harmful[softPick(harmful.map((i) => -belief[i]!), call.draws)]!;
        const hit = findPhrasing(instruction, drop)!;
        lines.push(`Remove: ${instruction.slice(hit.at, hit.at + hit.length)}`);
      } else {
        const rest = absent.filter((i) => i !== first);
        lines.push(`Add: ${call.draws.pick(CONCEPTS[rest[softPick(rest.map(addScore), call.draws)]!]!.phrasings)}`);
      }
    }
    return reply(call, "critique", lines.join("\n"));
  },
};

/** Applies "Add: <phrasing>" / "Remove: <phrasing>" lines to an instruction. */
export function applyCritique(instruction: string, critiqueText: string): string {
  let result = instruction;
  for (const line of critiqueText.split("\n")) {
    const m = line.match(/^\s*(add|remove)\s*:\s*(.+?)\s*$/i);
    if (!m) continue;
    const phrase = m[2]!;
    const named = profileInstruction(phrase).concepts;
    if (m[1]!.toLowerCase() === "add") {
      if (named.length === 0 || named.some((i) => !profileInstruction(result).present.has(i))) result = addPhrasing(result, phrase);
    } else if (named.length > 0) {
      for (const i of named) result = dropConcept(result, i);
    } else {
      const at = result.toLowerCase().indexOf(phrase.toLowerCase());
      if (at >= 0) result = `${result.slice(0, at)}${result.slice(at + phrase.length)}`.replace(/\s{2,}/g, " ").trim();
    }
  }
  return result;
}

const edit: MetaSkill = {
  name: "meta.edit",
  respond(call) {
    return reply(call, "edited_instruction", applyCritique(call.inputs.instruction ?? call.inputs.current_instruction ?? "", call.inputs.critique ?? ""));
  },
};

function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

const judge: MetaSkill = {
  name: "judge.score",
  respond(call) {
    const output = call.inputs.component_output ?? "";
    let text = output;
    let emptyShare = 0;
    try {
      const parsed: unknown = JSON.parse(output);
      if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
        const values = Object.values(parsed as Record<string, unknown>);
        emptyShare = values.length === 0 ? 1 : values.filter((v) => v === null || v === "").length / values.length;
        text = values.map((v) => (typeof v === "string" ? v : JSON.stringify(v))).join(" ");
      }
    } catch {
      // Plain text output.
    }
    const out = words(text);
    if (out.length === 0) return reply(call, "score", "1");
    const seen = new Set(words(call.inputs.component_inputs ?? ""));
    const overlap = out.filter((w) => seen.has(w)).length / out.length;
    const verbosity = Math.max(0, out.length - 40) / 40;
    const noise = (0.5 + call.world.beliefNoise(call.model)) * gaussian(call.draws);
    const z = -0.5 + 2.5 * overlap - verbosity - 3 * emptyShare + noise;
    return reply(call, "score", String(Math.max(1, Math.min(10, Math.round(1 + 9 / (1 + Math.exp(-z)))))));
  },
};

export const META_SKILLS: ReadonlyMap<string, MetaSkill> = new Map([propose, critique, edit, judge].map((s) => [s.name, s]));

