import { hashString } from "./hash";

/** Dimension of SimLM's embeddings. */
export const EMBEDDING_DIM = 256;

const TRIGRAM_WEIGHT = 0.5;

function add(vector: Float64Array, feature: string, seed: number, weight: number): void {
  const h = hashString(feature, seed);
  vector[h % EMBEDDING_DIM]! += h % 2 === 0 ? weight : -weight;
}

/**
 * A deterministic embedding: hashed bag of words plus character trigrams of each word (signed
 * feature hashing), L2-normalized. Texts sharing words or word pieces get close vectors.
 */
export function embedText(text: string): number[] {
  const v = new Float64Array(EMBEDDING_DIM);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    add(v, word, 1, 1);
    const padded = `#${word}#`;
    for (let i = 0; i + 3 <= padded.length; i++) add(v, padded.slice(i, i + 3), 2, TRIGRAM_WEIGHT);
  }
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  return Array.from(v, (x) => x / norm);
}
