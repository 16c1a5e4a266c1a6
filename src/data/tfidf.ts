import { retrievalTokens } from "./text";

/** A sparse, L2-normalized term vector. */
export type SparseVector = Map<number, number>;

/**
 * TF-IDF vectors over a fixed corpus (sublinear tf 1 + ln tf, smoothed idf ln((1+N)/(1+df)) + 1,
 * L2-normalized), so the cosine of two vectors is their dot product. Query terms the corpus never
 * uses carry no weight.
 */
export class TfIdfIndex {
  private readonly vocabulary = new Map<string, number>();
  private readonly idf: number[] = [];
  readonly docVectors: SparseVector[];

  constructor(documents: readonly string[]) {
    const tokenized = documents.map(retrievalTokens);
    const df: number[] = [];
    for (const tokens of tokenized) {
      for (const term of new Set(tokens)) {
        let id = this.vocabulary.get(term);
        if (id === undefined) {
          id = this.vocabulary.size;
          this.vocabulary.set(term, id);
          df.push(0);
        }
        df[id]!++;
      }
    }
    const n = documents.length;
    for (const d of df) this.idf.push(Math.log((1 + n) / (1 + d)) + 1);
    this.docVectors = tokenized.map((tokens) => this.weigh(tokens));
  }

  vector(text: string): SparseVector {
    return this.weigh(retrievalTokens(text));
  }

  /** Cosine similarity of a text to document `index`, in [0, 1]. */
  similarity(text: string, index: number): number {
    return cosine(this.vector(text), this.docVectors[index]!);
  }

  private weigh(tokens: readonly string[]): SparseVector {
    const counts = new Map<number, number>();
    for (const t of tokens) {
      const id = this.vocabulary.get(t);
      if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const vector: SparseVector = new Map();
    let norm = 0;
    for (const [id, count] of counts) {
      const w = (1 + Math.log(count)) * this.idf[id]!;
      vector.set(id, w);
      norm += w * w;
    }
    norm = Math.sqrt(norm);
    if (norm > 0) for (const [id, w] of vector) vector.set(id, w / norm);
    return vector;
  }
}

export function cosine(a: SparseVector, b: SparseVector): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let dot = 0;
  for (const [id, w] of small) dot += w * (large.get(id) ?? 0);
  return dot;
}
