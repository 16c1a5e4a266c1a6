import type { Fields } from "../../core/json";
import { renderReply, type ParsedRequest } from "../../core/signature";
import type { ChatMessage } from "../../core/lm-types";
import type { Draws } from "./hash";
import type { SimLMVersion } from "./version";

/**
 * How SimLM writes replies: well-formed ones through the signature adapter's own renderer (so the
 * components' real parsers read them), format failures that those parsers cannot read, and the
 * generic reply to a request no skill handles.
 */

function serialized(request: ParsedRequest, outputs: Fields): Fields {
  const values: Fields = {};
  for (const name of request.outputNames) {
    const v = outputs[name];
    values[name] = request.jsonOutputs.includes(name) ? JSON.stringify(v ?? null) : typeof v === "string" ? v : v === undefined ? "" : JSON.stringify(v);
  }
  return values;
}

/** A reply the parser reads back as `outputs` (fields the skill did not fill are empty). */
export function wellFormedReply(request: ParsedRequest, outputs: Fields): string {
  return renderReply(request.outputNames, serialized(request, outputs));
}

const PREAMBLES = ["", "Sure! ", "Here is what I found: ", "Based on the input, "];

/**
 * A format failure: with JSON fields, the markers stay and the JSON is cut off mid-value (an
 * ellipsis is never valid JSON, inside or outside a string); otherwise the content comes as
 * prose without field markers.
 */
export function malformedReply(request: ParsedRequest, outputs: Fields, draws: Draws): string {
  const values = serialized(request, outputs);
  if (request.jsonOutputs.length > 0) {
    for (const name of request.jsonOutputs) {
      const json = String(values[name]);
      values[name] = `${json.slice(0, Math.max(1, Math.floor(json.length * (0.4 + 0.4 * draws.next()))))}…`;
    }
    return renderReply(request.outputNames, values);
  }
  return `${draws.pick(PREAMBLES)}${request.outputNames.map((n) => String(values[n])).join("\n")}`.trim();
}

function firstSentence(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const sentence = flat.match(/^.*?[.!?](?=\s|$)/)?.[0] ?? flat;
  return sentence.split(" ").slice(0, 30).join(" ");
}

/**
 * The reply to a request without a (known) skill: a parseable echo for signature-format requests
 * (each text field gets the first sentence of the first non-empty input, JSON fields null), and
 * an honest plain-text reply otherwise.
 */
export function genericReply(messages: readonly ChatMessage[], parsed: ParsedRequest | null, version: SimLMVersion): string {
  if (parsed) {
    const source = parsed.inputNames.map((n) => parsed.inputs[n] ?? "").find((v) => v.trim() !== "") ?? "";
    const echo = firstSentence(source);
    const outputs: Fields = {};
    for (const name of parsed.outputNames) outputs[name] = parsed.jsonOutputs.includes(name) ? null : echo;
    return wellFormedReply(parsed, outputs);
  }
  const last = messages[messages.length - 1]?.content ?? "";
  return `This is ${version}, a simulated model for offline runs (not a language model). No skill handles this request, so it gets a generic reply to: "${firstSentence(last).slice(0, 120)}"`;
}
