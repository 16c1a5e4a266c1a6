import type { Json } from "../core/json";

/** A field value as plain text for featurization: strings verbatim, anything else as compact JSON. */
export function valueText(value: Json): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

const WORD = /[\p{L}\p{N}]+/gu;

/** Lower-cased runs of letters and digits; punctuation and whitespace separate words. */
export function words(text: string): string[] {
  return text.toLowerCase().match(WORD) ?? [];
}

/** Character n-grams of one word padded with a space on each side, so prefixes and suffixes count. */
export function charNgrams(word: string, n: number): string[] {
  const padded = ` ${word} `;
  if (padded.length <= n) return [padded];
  const grams: string[] = [];
  for (let i = 0; i + n <= padded.length; i++) grams.push(padded.slice(i, i + n));
  return grams;
}

const FNV_OFFSET = 0x811c9dc5;

/**
 * FNV-1a over UTF-16 code units, continuing from `state` so a namespace can be hashed once and
 * every token of it continued from there. Not cryptographic; fast and stable across runs.
 */
export function fnv1a(text: string, state = FNV_OFFSET): number {
  let h = state;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Murmur3's finalizer: spreads FNV's weak low bits over the whole word before bucketing. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
