import { retrievalTokens } from "./text";

/** One retrieved passage. */
export interface Passage {
  title: string;
  text: string;
  score: number;
}

/** What the HotpotQA retriever component calls: top-`k` passages for a query, best first. */
export interface Retriever {
  search(query: string, k: number): Promise<Passage[]>;
}

export interface BM25Document {
  title: string;
  text: string;
}

export interface BM25Params {
  /** Term-frequency saturation (default 1.2). */
  k1?: number;
  /** Length normalization, 0 none to 1 full (default 0.75). */
  b?: number;
}

/** A retrieval depth must be a positive integer. */
export function checkRetrievalK(k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new Error(`retrieval k must be a positive integer (got ${k})`);
}

/**
 * Okapi BM25 over a fixed set of titled paragraphs (title and text are indexed together), with the
 * always-positive idf ln(1 + (N − n + 0.5)/(n + 0.5)).
 *
 * Written here rather than on the installed wink-bm25-text-search, whose constraints do not fit:
 * it refuses collections of fewer than 3 documents (SimLM ranks the 1–9 sentences of one PubMedQA
 * context), it rounds every term weight to 4 decimals (creating artificial ties), its tie order
 * follows JavaScript object key order, and it has no types. Its scoring formula is the same as
 * this one's with its defaults; test/bm25.test.ts checks the two agree on the HotpotQA pool.
 * It lives in data/ because both the HotpotQA retriever and SimLM's PubMedQA skill rank with it.
 */
export class BM25Index implements Retriever {
  private readonly postings = new Map<string, { doc: number; tf: number }[]>();
  private readonly lengths: number[];
  private readonly avgLength: number;
  private readonly k1: number;
  private readonly b: number;

  constructor(
    readonly documents: readonly BM25Document[],
    params: BM25Params = {},
  ) {
    this.k1 = params.k1 ?? 1.2;
    this.b = params.b ?? 0.75;
    this.lengths = documents.map((d, doc) => {
      const tokens = retrievalTokens(`${d.title} ${d.text}`);
      const counts = new Map<string, number>();
      for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
      for (const [term, tf] of counts) {
        let list = this.postings.get(term);
        if (!list) this.postings.set(term, (list = []));
        list.push({ doc, tf });
      }
      return tokens.length;
    });
    const total = this.lengths.reduce((s, n) => s + n, 0);
    this.avgLength = documents.length > 0 ? total / documents.length : 0;
  }

  /** The BM25 score of every document for a query (0 for documents sharing no term with it). */
  scores(query: string): number[] {
    const scores = new Array<number>(this.documents.length).fill(0);
    const n = this.documents.length;
    // A repeated query term counts once per occurrence, as in the classic formulation.
    for (const term of retrievalTokens(query)) {
      const list = this.postings.get(term);
      if (!list) continue;
      const idf = Math.log(1 + (n - list.length + 0.5) / (list.length + 0.5));
      for (const { doc, tf } of list) {
        const norm = 1 - this.b + (this.b * this.lengths[doc]!) / (this.avgLength || 1);
        scores[doc]! += (idf * tf * (this.k1 + 1)) / (tf + this.k1 * norm);
      }
    }
    return scores;
  }

  /**
   * The top `k` documents that share at least one term with the query (fewer when fewer do),
   * highest score first; equal scores keep document order, so results are deterministic.
   */
  searchSync(query: string, k: number): Passage[] {
    checkRetrievalK(k);
    return this.scores(query)
      .map((score, doc) => ({ score, doc }))
      .filter((r) => r.score > 0)
      .sort((x, y) => y.score - x.score || x.doc - y.doc)
      .slice(0, k)
      .map(({ score, doc }) => ({ title: this.documents[doc]!.title, text: this.documents[doc]!.text, score }));
  }

  async search(query: string, k: number): Promise<Passage[]> {
    return this.searchSync(query, k);
  }
}
