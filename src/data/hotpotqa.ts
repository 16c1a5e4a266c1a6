import type { Json } from "../core/json";
import type { Example } from "../core/system";
import { createRng, shuffled } from "../core/random";
import { DataError } from "./errors";
import { jsonlRows, readDataText, type Row } from "./read";
import { requireDataFile, type DataLocationOptions } from "./paths";
import { allExamples, exampleId, lazyOracleResolver, type DatasetSplits, type OracleResolver } from "./splits";

export const HOTPOTQA_FILE = "hotpot-qa-distractor-sample.jsonl";

/** The fixed stream that splits the sample; changing it changes every offline HotpotQA result. */
const SPLIT_SEED = "hotpotqa/offline-split/v1";

export interface Paragraph {
  title: string;
  /** Sentences as HotpotQA stores them (every sentence after the first keeps its leading space). */
  sentences: string[];
}

export interface SupportingFact {
  title: string;
  sent_id: number;
}

/**
 * The 100-row HotpotQA distractor sample, split offline by a fixed seeded shuffle into 40% train,
 * 20% val and the rest test (40 / 20 / 40). Fields: `question`, `gd_answer` (the gold answer; the
 * system's own output is `answer`), `type` (bridge or comparison), `paragraphs` (the row's 10
 * titled paragraphs) and `supporting_facts` (title + sentence index pairs). Ids use HotpotQA's id.
 */
export function loadHotpotQA(options: DataLocationOptions = {}): DatasetSplits {
  const path = requireDataFile("hotpotqa", HOTPOTQA_FILE, options);
  const rows = jsonlRows(path, readDataText(path, "hotpotqa"), "hotpotqa").map(hotpotRow);
  const seen = new Map<string, number>();
  for (const r of rows) {
    const first = seen.get(r.id);
    if (first !== undefined) throw new DataError(path, r.line, "id", `repeats question id ${r.id} (first at line ${first})`, "remove the duplicate row");
    seen.set(r.id, r.line);
  }
  const order = shuffled(rows, createRng(SPLIT_SEED));
  const nTrain = Math.round(0.4 * order.length);
  const nVal = Math.round(0.2 * order.length);
  const toExample = (split: "train" | "val" | "test") => (r: HotpotRow): Example => ({ id: exampleId("hotpotqa", split, r.id), fields: r.fields });
  return {
    train: order.slice(0, nTrain).map(toExample("train")),
    val: order.slice(nTrain, nTrain + nVal).map(toExample("val")),
    test: order.slice(nTrain + nVal).map(toExample("test")),
  };
}

interface HotpotRow {
  id: string;
  line: number;
  fields: { question: string; gd_answer: string; type: string; paragraphs: Json; supporting_facts: Json };
}

function hotpotRow(row: Row): HotpotRow {
  const type = row.string("type");
  if (type !== "bridge" && type !== "comparison") throw row.error("type", `must be "bridge" or "comparison", found ${JSON.stringify(type)}`);
  const context = row.nested("context");
  const titles = context.stringArray("title");
  const sentences = context.value("sentences");
  if (!Array.isArray(sentences) || !sentences.every((s) => Array.isArray(s) && s.every((x) => typeof x === "string"))) {
    throw context.error("sentences", "must be an array of arrays of sentence strings");
  }
  if (sentences.length !== titles.length) throw context.error("sentences", `has ${sentences.length} paragraphs but context.title has ${titles.length}`);
  const paragraphs: Paragraph[] = titles.map((title, i) => ({ title, sentences: sentences[i] as string[] }));
  const facts = row.nested("supporting_facts");
  const factTitles = facts.stringArray("title");
  const factSentences = facts.intArray("sent_id");
  if (factTitles.length !== factSentences.length) throw facts.error("sent_id", `has ${factSentences.length} entries but supporting_facts.title has ${factTitles.length}`);
  const supporting: SupportingFact[] = factTitles.map((title, i) => {
    const paragraph = paragraphs.find((p) => p.title === title);
    if (!paragraph) throw facts.error("title", `names "${title}", which is not one of the row's context titles`);
    const sent = factSentences[i]!;
    if (sent < 0 || sent >= paragraph.sentences.length) throw facts.error("sent_id", `points at sentence ${sent} of "${title}", which has ${paragraph.sentences.length}`);
    return { title, sent_id: sent };
  });
  return {
    id: row.string("id"),
    line: row.line,
    fields: {
      question: row.string("question"),
      gd_answer: row.string("answer"),
      type,
      paragraphs: paragraphs as unknown as Json,
      supporting_facts: supporting as unknown as Json,
    },
  };
}

/** A paragraph of the retrieval pool: its title and its sentences joined into one text. */
export interface PooledParagraph {
  title: string;
  text: string;
}

/**
 * The offline retrieval corpus: every paragraph of every example (train, val, test order, then
 * context order), identical title-and-text pairs kept once (1,000 paragraphs on the real sample).
 */
export function hotpotParagraphPool(splits: DatasetSplits): PooledParagraph[] {
  const seen = new Set<string>();
  const pool: PooledParagraph[] = [];
  for (const ex of allExamples(splits)) {
    for (const p of ex.fields.paragraphs as unknown as Paragraph[]) {
      const text = p.sentences.join("");
      const key = `${p.title}\u0000${text}`;
      if (seen.has(key)) continue;
      seen.add(key);
      pool.push({ title: p.title, text });
    }
  }
  return pool;
}

/**
 * The truth SimLM's HotpotQA skills read: the answer, the supporting sentences with their text,
 * the gold paragraph titles and, for bridge questions, the bridge entity (the one gold title the
 * question does not mention; null when that is ambiguous).
 */
export function hotpotqaOracle(example: Example): Json {
  const paragraphs = example.fields.paragraphs as unknown as Paragraph[];
  const facts = example.fields.supporting_facts as unknown as SupportingFact[];
  const question = String(example.fields.question).toLowerCase();
  const goldTitles = [...new Set(facts.map((f) => f.title))];
  const unmentioned = goldTitles.filter((t) => !question.includes(t.toLowerCase()));
  return {
    answer: example.fields.gd_answer!,
    type: example.fields.type!,
    supporting_facts: facts.map((f) => ({ ...f, sentence: paragraphs.find((p) => p.title === f.title)!.sentences[f.sent_id]!.trim() })),
    gold_titles: goldTitles,
    bridge_entity: example.fields.type === "bridge" && unmentioned.length === 1 ? unmentioned[0]! : null,
  };
}

export function hotpotqaOracleResolver(options: DataLocationOptions = {}): OracleResolver {
  return lazyOracleResolver(() => loadHotpotQA(options), hotpotqaOracle);
}
