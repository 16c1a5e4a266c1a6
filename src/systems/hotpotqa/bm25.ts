import { describeFetchFailure } from "../../data/fetch";
import { FatalRunError } from "../../core/failure";
import { retrievalTokens } from "../../data/text";

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

function checkK(k: number): void {
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
    checkK(k);
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

/** The DSPy project's public ColBERTv2 server over the 2017 Wikipedia abstracts (no uptime guarantee). */
export const DSPY_WIKI17_COLBERT_URL = "http://20.102.90.50:2017/wiki17_abstracts";

const COLBERT_FIX = "start the ColBERTv2 server (or give its address with --set colbert-url=URL), or use --set retriever=bm25; then run `optimas resume <run-dir>`";

/** A retriever failure that may pass: counted as a failed run of cause "tool". */
class ToolError extends Error {
  readonly failureCause = "tool";
}

export interface ColBERTv2Options {
  timeoutMs?: number;
  /** For tests: replaces the global fetch. */
  fetchImpl?: typeof fetch;
}

/**
 * A client of a ColBERTv2 retrieval server as DSPy's `ColBERTv2` calls it: `GET <url>?query=…&k=…`
 * answering `{"topk": [{"text": "Title | abstract", "score": …}, …]}`. The title is the text
 * before the first " | " (empty when there is none).
 */
export class ColBERTv2Retriever implements Retriever {
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(
    readonly url: string = DSPY_WIKI17_COLBERT_URL,
    options: ColBERTv2Options = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetchImpl = options.fetchImpl ?? fetch;
  }

  async search(query: string, k: number): Promise<Passage[]> {
    checkK(k);
    const request = new URL(this.url);
    request.searchParams.set("query", query);
    request.searchParams.set("k", String(k));
    let response: Response;
    try {
      response = await this.fetchImpl(request, { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      // Every later search would fail the same way: the run stops (resumable) instead of scoring 0.
      throw new FatalRunError(`ColBERTv2 server ${this.url}`, `cannot be reached (${describeFetchFailure(err)})`, COLBERT_FIX);
    }
    if (!response.ok) {
      // A 5xx may pass (the run is re-run, then counted); any other status names a wrong URL.
      if (response.status >= 500) throw new ToolError(`ColBERTv2 server ${this.url} answered HTTP ${response.status}`);
      throw new FatalRunError(`ColBERTv2 server ${this.url}`, `answered HTTP ${response.status}`, COLBERT_FIX);
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (err) {
      throw new FatalRunError(`ColBERTv2 server ${this.url}`, `sent a body that is not JSON (${describeFetchFailure(err)})`, COLBERT_FIX);
    }
    const topk = (body as { topk?: unknown } | null)?.topk;
    if (!Array.isArray(topk)) throw new FatalRunError(`ColBERTv2 server ${this.url}`, 'answered without a "topk" list (is it a ColBERTv2 server?)', COLBERT_FIX);
    return topk.slice(0, k).map((hit: { text?: unknown; score?: unknown }, i) => {
      if (typeof hit?.text !== "string") throw new Error(`ColBERTv2 server ${this.url}: topk[${i}] has no "text" string`);
      const cut = hit.text.indexOf(" | ");
      return {
        title: cut < 0 ? "" : hit.text.slice(0, cut),
        text: cut < 0 ? hit.text : hit.text.slice(cut + 3),
        score: typeof hit.score === "number" ? hit.score : 0,
      };
    });
  }
}
