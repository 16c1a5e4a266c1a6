import type { Json } from "../core/json";
import type { Example } from "../core/system";
import { PythonLiteralError, parsePythonStringList } from "./python";
import { csvRows, readDataText, type Row } from "./read";
import { requireDataFile, type DataLocationOptions } from "./paths";
import { cutPoint, exampleId, lazyOracleResolver, type DatasetSplits, type OracleResolver } from "./splits";

export const AMAZON_FILES = [
  { tag: "primary", file: "session_based_next_item_selection_dataset.csv" },
  { tag: "multilingual", file: "multilingual_session_based_recommendation_dataset.csv" },
] as const;

const SEQUENCE_MARKER = "Product Sequence:";

/**
 * Amazon next-item selection with the reference split: each file's first 80% (row order) to a train
 * pool and the rest to test; pools concatenated primary first; the train pool's first 85% is train,
 * the rest val (335 / 60 / 99 on the real files). Fields: `sequence` (the product titles after the
 * last "Product Sequence:"), `choices` (the candidate titles), `gd_answer` (the 0-based index as text).
 */
export function loadAmazon(options: DataLocationOptions = {}): DatasetSplits {
  const trainPool: Example[] = [];
  const test: Example[] = [];
  for (const { tag, file } of AMAZON_FILES) {
    const path = requireDataFile("amazon", file, options);
    const rows = csvRows(path, readDataText(path, "amazon"), "amazon", ["question", "choices", "answer"]);
    const cut = cutPoint(0.8, rows.length);
    rows.forEach((row, i) => {
      const key = `${tag}-${i}`;
      (i < cut ? trainPool : test).push({ id: key, fields: amazonFields(row) });
    });
  }
  const trainCut = cutPoint(0.85, trainPool.length);
  const withIds = (examples: Example[], split: "train" | "val" | "test"): Example[] =>
    examples.map((ex) => ({ id: exampleId("amazon", split, ex.id), fields: ex.fields }));
  return { train: withIds(trainPool.slice(0, trainCut), "train"), val: withIds(trainPool.slice(trainCut), "val"), test: withIds(test, "test") };
}

function amazonFields(row: Row): { sequence: string; choices: string[]; gd_answer: string } {
  const question = row.string("question");
  const at = question.lastIndexOf(SEQUENCE_MARKER);
  if (at < 0) throw row.error("question", `has no "${SEQUENCE_MARKER}" marker before the product titles`);
  const sequence = question.slice(at + SEQUENCE_MARKER.length).trim();
  if (sequence === "") throw row.error("question", `has no product titles after "${SEQUENCE_MARKER}"`);
  const choices = parseChoices(row);
  const answer = row.intText("answer");
  if (answer >= choices.length) throw row.error("answer", `is ${answer}, but there are only ${choices.length} choices (0-based index expected)`);
  return { sequence, choices, gd_answer: String(answer) };
}

/** The `choices` cell: a Python list literal, or JSON as the reference loader's fallback. */
function parseChoices(row: Row): string[] {
  const text = row.string("choices");
  let choices: string[];
  try {
    choices = parsePythonStringList(text);
  } catch (err) {
    const json = tryJsonStringList(text);
    if (!json) throw row.error("choices", `is not a Python list of strings (${(err as PythonLiteralError).message})`);
    choices = json;
  }
  if (choices.length === 0) throw row.error("choices", "is an empty list");
  return choices;
}

function tryJsonStringList(text: string): string[] | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) && value.every((v) => typeof v === "string") ? (value as string[]) : undefined;
  } catch {
    return undefined;
  }
}

/** The truth SimLM's `amazon.decide` skill reads: the gold index and the gold title. */
export function amazonOracle(example: Example): Json {
  const choices = example.fields.choices as string[];
  const gold = Number(example.fields.gd_answer);
  return { gd_answer: example.fields.gd_answer!, gold_choice: choices[gold]!, choices };
}

export function amazonOracleResolver(options: DataLocationOptions = {}): OracleResolver {
  return lazyOracleResolver(() => loadAmazon(options), amazonOracle);
}
