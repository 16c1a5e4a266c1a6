import { hash53 } from "./hash";

export const EMBEDDING_DIM = 256;

/** Hashed bag of words and character trigrams, L2-normalized: similar texts get close vectors. */
export function embedText(text: string): number[] {
  const v = new Array<number>(EMBEDDING_DIM).fill(0);
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  for (const w of words) {
    const h = hash53(w);
    v[h % EMBEDDING_DIM]! += h % 2 === 0 ? 1 : -1;
    const padded = `#${w}#`;
    for (let i = 0; i + 3 <= padded.length; i++) {
      const g = hash53(padded.slice(i, i + 3), 7);
      v[g % EMBEDDING_DIM]! += (g % 2 === 0 ? 0.5 : -0.5);
    }
  }
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
  return v.map((x) => x / norm);
}
