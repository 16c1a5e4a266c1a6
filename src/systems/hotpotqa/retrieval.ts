import { hotpotParagraphPool, loadHotpotQA } from "../../data/hotpotqa";
import { BM25Index, ColBERTv2Retriever, DSPY_WIKI17_COLBERT_URL, type Passage, type Retriever } from "./bm25";

/**
 * Which retriever the HotpotQA system uses, chosen by configuration (the system registry builds
 * systems without arguments, so the environment carries it):
 *
 * - `OPTIMAS_HOTPOTQA_RETRIEVER=bm25` (default): BM25 over the pooled 1,000 paragraphs of the
 *   offline sample (reproduction.md), built once per process on first search;
 * - `OPTIMAS_HOTPOTQA_RETRIEVER=colbert`: the reference's ColBERTv2 server over the 2017 Wikipedia
 *   abstracts, at `OPTIMAS_COLBERT_URL` (default: the DSPy project's public server).
 */

export const RETRIEVER_ENV = "OPTIMAS_HOTPOTQA_RETRIEVER";
export const COLBERT_URL_ENV = "OPTIMAS_COLBERT_URL";

let poolIndex: BM25Index | undefined;

/** BM25 over the offline paragraph pool; the index is invariant, so every system shares one. */
export const pooledBM25: Retriever = {
  async search(query: string, k: number): Promise<Passage[]> {
    poolIndex ??= new BM25Index(hotpotParagraphPool(loadHotpotQA()));
    return poolIndex.searchSync(query, k);
  },
};

export function retrieverFromEnv(env: NodeJS.ProcessEnv = process.env): Retriever {
  const kind = env[RETRIEVER_ENV]?.trim() || "bm25";
  if (kind === "bm25") return pooledBM25;
  if (kind === "colbert") return new ColBERTv2Retriever(env[COLBERT_URL_ENV]?.trim() || DSPY_WIKI17_COLBERT_URL);
  throw new Error(`${RETRIEVER_ENV}="${env[RETRIEVER_ENV]}" is not a retriever; use bm25 (offline, the default) or colbert (with ${COLBERT_URL_ENV})`);
}

/** Passages as the reference's retriever hands them on: one "Title | text" line each. */
export function passageLines(passages: readonly Passage[]): string {
  return passages.map((p) => (p.title === "" ? p.text : `${p.title} | ${p.text}`)).join("\n");
}
