import type { Fields } from "../core/json";
import { parseReply, renderMessages, type Signature } from "../core/signature";
import { FatalRunError } from "../core/failure";
import { isTransientFailure, rerunTransient } from "../core/run-failures";
import type { LM } from "../core/lm-types";

/**
 * The meta-prompts optimizers send (OPRO and MIPRO proposals, TextGrad critiques and edits, the
 * LLM judge). One definition serves every method and SimLM's meta-skills, so no method sees more
 * than another. The target component's skill travels as routing metadata
 * (`meta.propose:<targetSkill>`), which real endpoints ignore.
 */

export const PROPOSE: Signature = {
  instruction:
    "You improve the instruction of one component of a compound AI system. Study the earlier instructions and their scores (ascending), then write a new instruction that should score higher.",
  inputs: [
    { name: "component_description", description: "what the component does" },
    { name: "scored_instructions", description: "earlier instructions with their scores, in ascending score order" },
    { name: "tip", description: "a hint for this proposal" },
  ],
  outputs: [{ name: "proposed_instruction" }],
};

export const CRITIQUE: Signature = {
  instruction: "Given a component's instruction, one of its outputs and feedback on the system's final result, say how the instruction should change.",
  inputs: [{ name: "component_description" }, { name: "instruction" }, { name: "component_output" }, { name: "feedback" }],
  outputs: [{ name: "critique" }],
};

export const EDIT: Signature = {
  instruction: "Rewrite the instruction so that it addresses the critique. Keep what works.",
  inputs: [{ name: "instruction" }, { name: "critique" }],
  outputs: [{ name: "edited_instruction" }],
};

export const JUDGE: Signature = {
  instruction: "Rate the quality of the component's output for its inputs on a scale from 1 (useless) to 10 (excellent). Reply with the number only.",
  inputs: [{ name: "component_description" }, { name: "component_inputs" }, { name: "component_output" }],
  outputs: [{ name: "score" }],
};

export const TIPS = [
  "Be creative.",
  "Keep the instruction clear and concise.",
  "Be informative and descriptive.",
  "Include specific details such as numbers or conditions.",
];

export interface ScoredInstruction {
  instruction: string;
  score: number;
}

/** Earlier attempts as OPRO shows them: ascending by score, each with its score to 3 decimals. */
export function scoredInstructionsText(history: readonly ScoredInstruction[]): string {
  return [...history]
    .sort((a, b) => a.score - b.score)
    .map((h, i) => `Instruction #${i + 1}:\n${h.instruction}\nScore: ${h.score.toFixed(3)}`)
    .join("\n\n");
}

export function parseScoredInstructions(text: string): ScoredInstruction[] {
  const out: ScoredInstruction[] = [];
  for (const block of text.split(/\n\s*\n(?=Instruction #\d+:)/)) {
    const m = block.match(/^Instruction #\d+:\n([\s\S]*)\nScore: (-?[\d.]+|NaN)\s*$/);
    if (m) out.push({ instruction: m[1]!, score: Number(m[2]) });
  }
  return out;
}

export interface MetaCall {
  lm: LM;
  model: string;
  /** `meta.propose`, `meta.critique`, `meta.edit` or `judge.score`. */
  skill: "meta.propose" | "meta.critique" | "meta.edit" | "judge.score";
  /** The skill of the component being improved or judged (routing metadata). */
  targetSkill?: string;
  temperature: number;
  sampleIndex: number;
  stage: string;
  exampleId?: string;
}

/**
 * Sends one meta-prompt and parses its reply ("" for a field the reply lacks). A transient failure
 * is re-sent with the same sample index; one that persists stops the run resumably, since a
 * method cannot go on without its proposal, critique or judgement (and must never guess one).
 */
export async function callMeta(signature: Signature, fields: Fields, call: MetaCall): Promise<Fields> {
  const send = () =>
    call.lm.chat(
      { model: call.model, messages: renderMessages(signature, fields), temperature: call.temperature, sampleIndex: call.sampleIndex },
      { skill: call.targetSkill ? `${call.skill}:${call.targetSkill}` : call.skill, component: call.skill, stage: call.stage, exampleId: call.exampleId },
    );
  try {
    return parseReply(signature.outputs, (await rerunTransient(send)).text).outputs;
  } catch (err) {
    if (!isTransientFailure(err)) throw err;
    throw new FatalRunError(
      call.lm.providerId,
      `the ${call.skill} call to meta-model "${call.model}" kept failing (${err instanceof Error ? err.message : String(err)})`,
      "check that the endpoint is up and not overloaded (or raise --retries / --timeout), then run `optimas resume <run-dir>`",
    );
  }
}
