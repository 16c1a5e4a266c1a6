/**
 * SimLM routing metadata over HTTP: the headers OpenAIProvider sends and serve-sim reads. Real
 * endpoints ignore them. Values are URI-encoded because header values must be ASCII.
 */
import type { ChatMeta } from "../core/lm-types";

export const SKILL_HEADER = "x-simlm-skill";
export const EXAMPLE_HEADER = "x-simlm-example";
export const SAMPLE_HEADER = "x-simlm-sample";

export function routingHeaders(meta: ChatMeta, sampleIndex: number | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (meta.skill !== undefined) headers[SKILL_HEADER] = encodeURIComponent(meta.skill);
  if (meta.exampleId !== undefined) headers[EXAMPLE_HEADER] = encodeURIComponent(meta.exampleId);
  if (sampleIndex !== undefined) headers[SAMPLE_HEADER] = String(sampleIndex);
  return headers;
}
