import type { Fields, Json } from "../core/json";
import type { RewardInput } from "./types";

// The reward text of the reference implementation (optimas-algorithm.md §4.2), in our own words:
// a role sentence, the module's task, its inputs, then the outputs to judge. No trailing newline.
const ROLE_LINE = "You are an evaluator that judges the outputs of one module of a compound AI system.";
const INPUTS_HEADER = "Given the module's inputs:";
const OUTPUTS_HEADER = "Evaluate the module's outputs:";

/** The text an embedding (or a language-model) reward function reads for one reward input. */
export function rewardText(input: RewardInput): string {
  return [
    ROLE_LINE,
    `Module task: ${input.description}`,
    "",
    INPUTS_HEADER,
    ...fieldLines(input.inputs),
    "",
    OUTPUTS_HEADER,
    ...fieldLines(input.outputs),
  ].join("\n");
}

function fieldLines(fields: Fields): string[] {
  return Object.entries(fields).map(([key, value]) => `- ${key}: ${pythonText(value)}`);
}

/**
 * A field value as the reference renders it: lists and objects as `json.dumps(indent=2)` with
 * non-ASCII escaped, everything else as Python `str()` (True, None, inf). JSON numbers carry no
 * int/float distinction, so a Python float 1.0 renders here as "1".
 */
export function pythonText(value: Json): string {
  if (value === null) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") return pythonNumber(value);
  if (typeof value === "string") return value;
  return asciiOnly(JSON.stringify(value, null, 2));
}

function pythonNumber(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  return String(n);
}

// Python's ensure_ascii escapes every UTF-16 code unit above 0x7f, surrogate halves separately.
function asciiOnly(text: string): string {
  return text.replace(/[\u0080-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
