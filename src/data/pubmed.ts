import type { Json } from "../core/json";
import type { Example } from "../core/system";
import { DataError } from "./errors";
import { jsonlRows, readDataText } from "./read";
import { requireDataFile, type DataLocationOptions } from "./paths";
import { cutPoint, exampleId, lazyOracleResolver, type DatasetSplits, type OracleResolver, type SplitName } from "./splits";

export const PUBMED_LABELS = ["yes", "no", "maybe"] as const;
export type PubMedLabel = (typeof PUBMED_LABELS)[number];

/**
 * PubMedQA with the reference split: the train file in file order, first 95% train and the rest
 * val (475 / 25); the test file whole (500). Fields: `question`, `context` (the abstract's sections
 * joined with one space), `groundtruth` (yes/no/maybe). Ids use the PubMed id (`key`).
 */
export function loadPubMed(options: DataLocationOptions = {}): DatasetSplits {
  const trainRows = readPubMedFile("combined_PubMedQA_train.jsonl", options);
  const cut = cutPoint(0.95, trainRows.length);
  const seen = new Map<string, string>();
  const toExamples = (rows: PubMedRow[], split: SplitName): Example[] =>
    rows.map((r) => {
      const previous = seen.get(r.key);
      if (previous) throw new DataError(r.file, r.line, "key", `repeats PubMed id ${r.key} (first seen at ${previous})`, "remove the duplicate row");
      seen.set(r.key, `${r.file} line ${r.line}`);
      return { id: exampleId("pubmed", split, r.key), fields: { question: r.question, context: r.context, groundtruth: r.groundtruth } };
    });
  return {
    train: toExamples(trainRows.slice(0, cut), "train"),
    val: toExamples(trainRows.slice(cut), "val"),
    test: toExamples(readPubMedFile("combined_PubMedQA_test.jsonl", options), "test"),
  };
}

interface PubMedRow {
  file: string;
  line: number;
  key: string;
  question: string;
  context: string;
  groundtruth: PubMedLabel;
}

function readPubMedFile(file: string, options: DataLocationOptions): PubMedRow[] {
  const path = requireDataFile("pubmed", file, options);
  return jsonlRows(path, readDataText(path, "pubmed"), "pubmed").map((row) => {
    const sections = row.stringArray("context");
    if (sections.length === 0) throw row.error("context", "is an empty list of sections");
    const label = row.string("groundtruth").trim().toLowerCase();
    if (!(PUBMED_LABELS as readonly string[]).includes(label)) throw row.error("groundtruth", `must be yes, no or maybe, found ${JSON.stringify(label)}`);
    return { file: path, line: row.line, key: row.string("key"), question: row.string("question"), context: sections.join(" "), groundtruth: label as PubMedLabel };
  });
}

/** The truth SimLM's PubMedQA skills read: the gold label. */
export function pubmedOracle(example: Example): Json {
  return { groundtruth: example.fields.groundtruth! };
}

export function pubmedOracleResolver(options: DataLocationOptions = {}): OracleResolver {
  return lazyOracleResolver(() => loadPubMed(options), pubmedOracle);
}
