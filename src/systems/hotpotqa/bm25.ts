import { describeFetchFailure } from "../../data/fetch";
import { FatalRunError } from "../../core/failure";
import { checkRetrievalK, type Passage, type Retriever } from "../../data/bm25";

export { BM25Index, type BM25Document, type BM25Params, type Passage, type Retriever } from "../../data/bm25";

/** The DSPy project's public ColBERTv2 server over the 2017 Wikipedia abstracts (no uptime guarantee). */
export const DSPY_WIKI17_COLBERT_URL = "http://20.102.90.50:2017/wiki17_abstracts";

const COLBERT_FIX = "start the ColBERTv2 server (or give its address with --set colbert-url=URL), or use --set retriever=bm25; then rerun, or `optimas resume <run-dir>` for a stopped optimization";

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
    checkRetrievalK(k);
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
