import type { Fields } from "../../../core/json";
import { parseScoredInstructions } from "../../meta-prompts";
import { CONCEPTS, concept, conceptsIn, wordCount } from "../concepts";
import { registerMetaSkill, SKILLS, type SkillCall } from "../skill";
import { modelSpec, type SkillParams } from "../world";

/**
 * Meta-skills (simlm.md): proposers and critics know the target skill's concept weights only
 * through noise, ŵ = w + N(0, σ), with σ shrinking as the proposing model's tier grows. Field
 * names follow src/lm/meta-prompts.ts.
 */

const KAPPA = 3;

function gaussian(call: SkillCall, purpose: string): number {
  const u = Math.max(call.u(`${purpose}/a`), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * call.u(`${purpose}/b`));
}

function targetParams(call: SkillCall, target: string | undefined): SkillParams | undefined {
  const skill = target ? SKILLS.get(target) : undefined;
  return skill ? call.world.params(skill.name, skill.domain, skill.failureModes.length) : undefined;
}

/** The proposer's noisy belief about each concept's weight for the target skill. */
function belief(call: SkillCall, params: SkillParams | undefined): Record<string, number> {
  const sigma = 0.5 * Math.exp(-modelSpec(call.model).tierBase);
  const out: Record<string, number> = {};
  for (const c of CONCEPTS) out[c.id] = (params?.conceptWeight[c.id] ?? 0) + sigma * gaussian(call, `belief/${c.id}`);
  return out;
}

/** Draws an index with probability ∝ exp(κ·score). */
function softPick(scores: readonly number[], u: number): number {
  const top = Math.max(...scores);
  const w = scores.map((s) => Math.exp(KAPPA * (s - top)));
  let r = u * w.reduce((a, b) => a + b, 0);
  for (let i = 0; i < w.length; i++) if ((r -= w[i]!) < 0) return i;
  return w.length - 1;
}

function phrasingPresent(instruction: string, id: string): string | undefined {
  const lower = instruction.toLowerCase();
  return concept(id).phrasings.find((p) => lower.includes(p.toLowerCase()));
}

function removePhrase(instruction: string, phrase: string): string {
  const at = instruction.toLowerCase().indexOf(phrase.toLowerCase());
  if (at < 0) return instruction;
  return `${instruction.slice(0, at)}${instruction.slice(at + phrase.length)}`.replace(/\s{2,}/g, " ").trim();
}

function addPhrase(instruction: string, phrase: string): string {
  return instruction.trim() === "" ? phrase : `${instruction.trim()} ${phrase}`;
}

/** One edit: add a believed-helpful concept, drop a believed-harmful one, or rephrase one. */
function edit(instruction: string, beliefs: Record<string, number>, call: SkillCall, tag: string): string {
  const present = conceptsIn(instruction);
  const absent = CONCEPTS.map((c) => c.id).filter((id) => !present.includes(id));
  const r = call.u(`${tag}/kind`);
  if (present.length === 0 || r < 0.5) {
    const id = absent[softPick(absent.map((a) => beliefs[a]!), call.u(`${tag}/add`))]!;
    const phrasings = concept(id).phrasings;
    return addPhrase(instruction, phrasings[Math.floor(call.u(`${tag}/phrase`) * phrasings.length)]!);
  }
  if (r < 0.75) {
    const id = present[softPick(present.map((p) => -beliefs[p]!), call.u(`${tag}/drop`))]!;
    return removePhrase(instruction, phrasingPresent(instruction, id)!);
  }
  const id = present[Math.floor(call.u(`${tag}/rephrase`) * present.length)]!;
  const old = phrasingPresent(instruction, id)!;
  const others = concept(id).phrasings.filter((p) => p !== old);
  const next = others[Math.floor(call.u(`${tag}/rephrase-to`) * others.length)] ?? old;
  return addPhrase(removePhrase(instruction, old), next);
}

registerMetaSkill({
  name: "meta.propose",
  respond(call, target): Fields {
    const history = parseScoredInstructions(call.request.inputs.scored_instructions ?? "");
    const best = history.reduce<{ instruction: string; score: number } | undefined>((b, h) => (!b || h.score > b.score ? h : b), undefined);
    const beliefs = belief(call, targetParams(call, target));
    const start = best?.instruction ?? "";
    let instruction = start;
    const edits = 1 + Math.floor(call.u("edits") * 3);
    for (let i = 0; i < edits; i++) instruction = edit(instruction, beliefs, call, `edit/${i}`);
    // Edits that cancel out (add, then drop the same concept) still owe a change: add one more.
    for (let i = edits; instruction === start && i < edits + 5; i++) instruction = edit(instruction, beliefs, call, `edit/${i}`);
    return { proposed_instruction: instruction };
  },
});

registerMetaSkill({
  name: "meta.critique",
  respond(call, target): Fields {
    const instruction = call.request.inputs.instruction ?? "";
    const output = call.request.inputs.component_output ?? "";
    const beliefs = belief(call, targetParams(call, target));
    const present = conceptsIn(instruction);
    const lines: string[] = [];
    // A visible symptom in the output points at a concept; otherwise the noisy belief decides.
    if (output.trim() === "" && !present.includes("follow-format")) lines.push(`Add: ${concept("follow-format").phrasings[0]}`);
    else if (wordCount(output) > 40 && !present.includes("concise")) lines.push(`Add: ${concept("concise").phrasings[0]}`);
    const absent = CONCEPTS.map((c) => c.id).filter((id) => !present.includes(id));
    const add = absent[softPick(absent.map((a) => beliefs[a]!), call.u("critique/add"))]!;
    if (lines.length === 0) lines.push(`Add: ${concept(add).phrasings[Math.floor(call.u("critique/phrase") * concept(add).phrasings.length)]}`);
    const worst = present.reduce<string | undefined>((w, p) => (w === undefined || beliefs[p]! < beliefs[w]! ? p : w), undefined);
    if (worst !== undefined && beliefs[worst]! < 0 && call.u("critique/remove") < 0.7) lines.push(`Remove: ${phrasingPresent(instruction, worst)}`);
    return { critique: lines.join("\n") };
  },
});

registerMetaSkill({
  name: "meta.edit",
  respond(call): Fields {
    let instruction = call.request.inputs.instruction ?? "";
    for (const line of (call.request.inputs.critique ?? "").split("\n")) {
      const m = line.match(/^\s*(Add|Remove):\s*(.+?)\s*$/i);
      if (!m) continue;
      if (m[1]!.toLowerCase() === "add") {
        if (!instruction.toLowerCase().includes(m[2]!.toLowerCase())) instruction = addPhrase(instruction, m[2]!);
      } else instruction = removePhrase(instruction, m[2]!);
    }
    return { edited_instruction: instruction };
  },
});

registerMetaSkill({
  name: "judge.score",
  respond(call): Fields {
    // Blind to the oracle: only visible features of one component's inputs and output.
    const output = (call.request.inputs.component_output ?? "").toLowerCase();
    const inputs = (call.request.inputs.component_inputs ?? "").toLowerCase();
    const words = output.match(/[\p{L}\p{N}]+/gu) ?? [];
    if (words.length === 0) return { score: "1" };
    const inputWords = new Set(inputs.match(/[\p{L}\p{N}]+/gu) ?? []);
    const overlap = words.filter((w) => inputWords.has(w)).length / words.length;
    const verbosity = Math.max(0, words.length - 60) / 60;
    const noise = 0.8 * gaussian(call, "judge");
    const z = 2 * overlap - verbosity - 0.5 + noise;
    return { score: String(Math.max(1, Math.min(10, Math.round(1 + 9 / (1 + Math.exp(-z)))))) };
  },
});
