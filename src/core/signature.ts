import type { Fields, Json } from "./json";
import type { Demo } from "./variable";
import type { ChatMessage } from "./lm-types";

/**
 * The signature adapter: renders (instruction, demos, input fields, output fields) into chat
 * messages with `[[ ## field ## ]]` markers, and parses replies back into fields. Every LLM
 * component uses it, so prompts are uniform, parseable, and invertible by SimLM.
 */

export interface FieldSpec {
  name: string;
  description?: string;
  /** `text` values pass through as strings; `json` values are serialized and parsed as JSON. */
  type?: "text" | "json";
}

export interface Signature {
  instruction: string;
  inputs: FieldSpec[];
  outputs: FieldSpec[];
}

const COMPLETED = "completed";
const marker = (name: string): string => `[[ ## ${name} ## ]]`;
const MARKER_RE = /\[\[ ## ([\w.-]+) ## \]\]/g;
const OBJECTIVE = "In adhering to this structure, your objective is:";

function renderValue(value: Json | undefined): string {
  if (typeof value === "string") return value;
  return JSON.stringify(value ?? null);
}

function renderFields(fields: FieldSpec[], values: Fields): string {
  return fields.map((f) => `${marker(f.name)}\n${renderValue(values[f.name])}`).join("\n\n");
}

function describe(fields: FieldSpec[]): string {
  return fields.map((f, i) => `${i + 1}. \`${f.name}\` (${f.type === "json" ? "JSON" : "text"})${f.description ? `: ${f.description}` : ""}`).join("\n");
}

function renderUser(sig: Signature, inputs: Fields): string {
  const order = sig.outputs.map((f) => `\`${marker(f.name)}\``).join(", then ");
  return `${renderFields(sig.inputs, inputs)}\n\nRespond with the corresponding output fields, starting with ${order}, and then ending with the marker for \`${marker(COMPLETED)}\`.`;
}

/** Renders the assistant turn for given outputs (demos, and SimLM's replies). */
export function renderReply(outputs: FieldSpec[] | string[], values: Fields): string {
  const specs = outputs.map((f) => (typeof f === "string" ? { name: f } : f));
  return `${renderFields(specs, values)}\n\n${marker(COMPLETED)}`;
}

export function renderMessages(sig: Signature, inputs: Fields, demos: readonly Demo[] = []): ChatMessage[] {
  const structure = [...sig.inputs, ...sig.outputs].map((f) => `${marker(f.name)}\n{${f.name}}`).join("\n\n");
  const system =
    `Your input fields are:\n${describe(sig.inputs)}\nYour output fields are:\n${describe(sig.outputs)}\n` +
    `All interactions will be structured in the following way, with the appropriate values filled in.\n\n` +
    `${structure}\n\n${marker(COMPLETED)}\n${OBJECTIVE}\n${sig.instruction}`;
  const messages: ChatMessage[] = [{ role: "system", content: system }];
  for (const d of demos) {
    messages.push({ role: "user", content: renderUser(sig, d.inputs) });
    messages.push({ role: "assistant", content: renderReply(sig.outputs, d.outputs) });
  }
  messages.push({ role: "user", content: renderUser(sig, inputs) });
  return messages;
}

/** Splits text at `[[ ## name ## ]]` markers into raw string sections. */
export function splitSections(text: string): Map<string, string> {
  const sections = new Map<string, string>();
  const hits = [...text.matchAll(MARKER_RE)];
  hits.forEach((m, i) => {
    const start = m.index! + m[0].length;
    const end = i + 1 < hits.length ? hits[i + 1]!.index! : text.length;
    const name = m[1]!;
    if (!sections.has(name)) sections.set(name, text.slice(start, end).trim());
  });
  return sections;
}

export interface ParsedReply {
  outputs: Fields;
  /** Output fields whose marker was absent or whose JSON did not parse. */
  missing: string[];
}

/** Parses a reply; a missing field becomes "" (text) or null (json) and is listed in `missing`. */
export function parseReply(outputs: FieldSpec[], text: string): ParsedReply {
  const sections = splitSections(text);
  const values: Fields = {};
  const missing: string[] = [];
  for (const f of outputs) {
    const raw = sections.get(f.name);
    if (raw === undefined) {
      missing.push(f.name);
      values[f.name] = f.type === "json" ? null : "";
      continue;
    }
    if (f.type === "json") {
      try {
        values[f.name] = JSON.parse(raw) as Json;
      } catch {
        missing.push(f.name);
        values[f.name] = null;
      }
    } else {
      values[f.name] = raw;
    }
  }
  return { outputs: values, missing };
}

/** What a model reads from a rendered request: the inverse of `renderMessages` (SimLM uses it). */
export interface ParsedRequest {
  instruction: string;
  inputNames: string[];
  outputNames: string[];
  /** Output fields declared `(JSON)`: a reply must carry them as parseable JSON. */
  jsonOutputs: string[];
  demos: { inputs: Record<string, string>; outputs: Record<string, string> }[];
  inputs: Record<string, string>;
}

function fieldNames(block: string): string[] {
  return [...block.matchAll(/^\d+\. `([\w.-]+)`/gm)].map((m) => m[1]!);
}

/** Returns null for messages not written by the signature adapter (a generic chat request). */
export function parseRequest(messages: readonly ChatMessage[]): ParsedRequest | null {
  const system = messages[0];
  const last = messages[messages.length - 1];
  if (!system || system.role !== "system" || !last || last.role !== "user") return null;
  const inAt = system.content.indexOf("Your input fields are:");
  const outAt = system.content.indexOf("Your output fields are:");
  const objAt = system.content.indexOf(OBJECTIVE);
  if (inAt < 0 || outAt < 0 || objAt < 0) return null;
  const inputNames = fieldNames(system.content.slice(inAt, outAt));
  const outputBlock = system.content.slice(outAt, objAt);
  const outputNames = fieldNames(outputBlock);
  const jsonOutputs = [...outputBlock.matchAll(/^\d+\. `([\w.-]+)` \(JSON\)/gm)].map((m) => m[1]!);
  const instruction = system.content.slice(objAt + OBJECTIVE.length).trim();
  const pick = (text: string, names: string[]): Record<string, string> => {
    const sections = splitSections(text.replace(/\n\nRespond with the corresponding output fields[\s\S]*$/, ""));
    const out: Record<string, string> = {};
    for (const n of names) out[n] = sections.get(n) ?? "";
    return out;
  };
  const demos: ParsedRequest["demos"] = [];
  for (let i = 1; i + 1 < messages.length - 1; i += 2) {
    const u = messages[i]!;
    const a = messages[i + 1]!;
    if (u.role !== "user" || a.role !== "assistant") break;
    demos.push({ inputs: pick(u.content, inputNames), outputs: pick(a.content, outputNames) });
  }
  return { instruction, inputNames, outputNames, jsonOutputs, demos, inputs: pick(last.content, inputNames) };
}
