import type { Json } from "../core/json";
import type { Example } from "../core/system";
import { DataError, refetchFix } from "./errors";
import { csvRows, readDataText, type Row } from "./read";
import { requireDataFile, type DataLocationOptions } from "./paths";
import { exampleId, lazyOracleResolver, SPLIT_NAMES, type DatasetSplits, type OracleResolver, type SplitName } from "./splits";

export const STARK_QA_FILE = "stark_qa/stark_qa.csv";

/** The reference subset sizes: the first ids of each split file. */
export const STARK_SPLIT_SIZES: Readonly<Record<SplitName, number>> = { train: 250, val: 25, test: 100 };

export interface StarkOptions extends DataLocationOptions {
  sizes?: Partial<Record<SplitName, number>>;
}

/**
 * STaRK-Prime questions with the reference subsets (first 250 / 25 / 100 ids of train.index,
 * val.index, test.index, in file order). Fields: `question`, `question_id`, `answer_ids` (PrimeKG
 * node ids). There are no candidates: building them needs the knowledge base (see
 * `loadStarkPrimeCandidates`); offline the system runs on SynthPrime.
 */
export function loadStarkQA(options: StarkOptions = {}): DatasetSplits {
  const qaPath = requireDataFile("stark", STARK_QA_FILE, options);
  const byId = new Map<number, { question: string; answer_ids: number[] }>();
  for (const row of csvRows(qaPath, readDataText(qaPath, "stark"), "stark", ["id", "query", "answer_ids"])) {
    const id = row.intText("id");
    if (byId.has(id)) throw row.error("id", `repeats question id ${id}`);
    byId.set(id, { question: row.string("query"), answer_ids: answerIds(row) });
  }
  const result = {} as DatasetSplits;
  for (const split of SPLIT_NAMES) {
    const indexFile = `split/${split}.index`;
    const indexPath = requireDataFile("stark", indexFile, options);
    const lines = readDataText(indexPath, "stark").split("\n");
    const size = options.sizes?.[split] ?? STARK_SPLIT_SIZES[split];
    const examples: Example[] = [];
    for (let i = 0; i < lines.length && examples.length < size; i++) {
      const text = lines[i]!.trim();
      if (text === "") continue;
      if (!/^\d+$/.test(text)) throw new DataError(indexPath, i + 1, undefined, `must hold one question id, found ${JSON.stringify(text)}`, refetchFix("stark"));
      const qa = byId.get(Number(text));
      if (!qa) throw new DataError(indexPath, i + 1, undefined, `names question id ${text}, which ${STARK_QA_FILE} does not have`, refetchFix("stark"));
      examples.push({ id: exampleId("stark", split, text), fields: { question: qa.question, question_id: Number(text), answer_ids: qa.answer_ids } });
    }
    result[split] = examples;
  }
  return result;
}

function answerIds(row: Row): number[] {
  const text = row.string("answer_ids");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => Number.isInteger(v) && v >= 0)) {
    throw row.error("answer_ids", `must be a non-empty list of node ids like [18423], found ${JSON.stringify(text)}`);
  }
  return value as number[];
}

/** What the STaRK-Prime system needs beyond the questions, and why it cannot be built here. */
export const STARK_KB_UNAVAILABLE =
  "STaRK-Prime candidates need the STaRK-Prime knowledge base (node texts and relations, `stark_qa.load_skb(\"prime\")`) and the text-embedding-ada-002 node and query embeddings (about 0.9 GB), which no reachable source provides";

/**
 * The full STaRK-Prime examples (5 candidates with relation/text information and embedding
 * scores) cannot be built offline: this always throws one line saying so and what to use instead.
 */
export function loadStarkPrimeCandidates(): never {
  throw new Error(
    `${STARK_KB_UNAVAILABLE}; run the STaRK-Prime system on SynthPrime offline (loadSynthPrime), or build the 375 candidate sets with the stark_qa package on a machine with internet`,
  );
}

/** The truth SimLM reads for a STaRK question: its gold node ids. */
export function starkOracle(example: Example): Json {
  return { answer_ids: example.fields.answer_ids! };
}

export function starkOracleResolver(options: StarkOptions = {}): OracleResolver {
  return lazyOracleResolver(() => loadStarkQA(options), starkOracle);
}
