import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { DataError } from "../src/data/errors";
import { amazonOracle, loadAmazon } from "../src/data/amazon";
import { loadPubMed } from "../src/data/pubmed";
import { hotpotParagraphPool, hotpotqaOracle, loadHotpotQA } from "../src/data/hotpotqa";
import { bigcodebenchOracle, DEFAULT_TASK_TIME_LIMIT_MS, loadBigCodeBench } from "../src/data/bigcodebench";
import { loadStarkQA } from "../src/data/stark";

const roots: string[] = [];
after(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

/** A fresh data root holding the given `<dataset>/<file>` contents. */
function fixtureRoot(files: Record<string, string | Buffer>): string {
  const root = mkdtempSync(join(tmpdir(), "optimas-data-test-"));
  roots.push(root);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

/** Asserts a DataError naming the file (by suffix), line and field, whose message is one line. */
function assertDataError(fn: () => unknown, where: { file: string; line?: number; field?: string; problem: RegExp }): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof DataError, `expected a DataError, got ${String(err)}`);
    assert.ok(err.file.endsWith(where.file), `file ${err.file}`);
    assert.equal(err.line, where.line);
    assert.equal(err.field, where.field);
    assert.match(err.message, where.problem);
    assert.ok(!err.message.includes("\n"), "one line");
    if (where.line !== undefined) assert.match(err.message, new RegExp(`line ${where.line}\\b`));
    return true;
  });
}

// ---------------------------------------------------------------- Amazon

const AMAZON_PRIMARY = "amazon/session_based_next_item_selection_dataset.csv";
const AMAZON_MULTI = "amazon/multilingual_session_based_recommendation_dataset.csv";

function amazonCsv(n: number, tag: string, override?: (i: number) => string | undefined): string {
  const rows = ["question,choices,answer"];
  for (let i = 0; i < n; i++) {
    rows.push(
      override?.(i) ??
        `"The user viewed these products. Product Sequence:\n${tag} item ${i}a\n${tag} item ${i}b, ""quoted""\n","['${tag} choice ${i}', ""it's ${i}"", 'c\\xa0${i}', 'd']",${i % 4}`,
    );
  }
  return rows.join("\n") + "\n";
}

test("Amazon: reference split by row order, parsed fields and ids", () => {
  const root = fixtureRoot({ [AMAZON_PRIMARY]: amazonCsv(10, "p"), [AMAZON_MULTI]: amazonCsv(10, "m") });
  const splits = loadAmazon({ dataDir: root });
  // Train pool 8 + 8 = 16 → train floor(0.85·16) = 13, val 3; test 2 + 2.
  assert.deepEqual([splits.train.length, splits.val.length, splits.test.length], [13, 3, 4]);
  assert.deepEqual(splits.train.slice(0, 9).map((e) => e.id).slice(7), ["amazon/train/primary-7", "amazon/train/multilingual-0"]);
  assert.deepEqual(splits.test.map((e) => e.id), ["amazon/test/primary-8", "amazon/test/primary-9", "amazon/test/multilingual-8", "amazon/test/multilingual-9"]);
  const first = splits.train[0]!.fields;
  assert.equal(first.sequence, 'p item 0a\np item 0b, "quoted"');
  assert.deepEqual(first.choices, ["p choice 0", "it's 0", "c\u00a00", "d"]);
  assert.equal(first.gd_answer, "0");
  assert.deepEqual(amazonOracle(splits.train[1]!), { gd_answer: "1", gold_choice: "it's 1", choices: ["p choice 1", "it's 1", "c\u00a01", "d"] });
});

test("Amazon: a bad choices cell names the line the row starts on (after multi-line rows) and the field", () => {
  // Each good row spans 4 lines, so row 2 (0-based) starts on line 2 + 2·4 = 10.
  const bad = amazonCsv(10, "p", (i) => (i === 2 ? `"Product Sequence:\nx","['a', 'b'",1` : undefined));
  const root = fixtureRoot({ [AMAZON_PRIMARY]: bad, [AMAZON_MULTI]: amazonCsv(10, "m") });
  assertDataError(() => loadAmazon({ dataDir: root }), { file: AMAZON_PRIMARY, line: 10, field: "choices", problem: /not a Python list of strings .*expected "," or "\]"/ });
});

test("Amazon: JSON choices are accepted (the reference's fallback); bad answers and missing markers are errors", () => {
  const json = amazonCsv(10, "p", (i) => (i === 0 ? `"Product Sequence:\nx","[""a\\u00e9"", ""b""]",1` : undefined));
  assert.deepEqual(loadAmazon({ dataDir: fixtureRoot({ [AMAZON_PRIMARY]: json, [AMAZON_MULTI]: amazonCsv(10, "m") }) }).train[0]!.fields.choices, ["aé", "b"]);
  const outOfRange = amazonCsv(10, "p", (i) => (i === 0 ? `"Product Sequence:\nx","['a', 'b']",2` : undefined));
  assertDataError(() => loadAmazon({ dataDir: fixtureRoot({ [AMAZON_PRIMARY]: outOfRange, [AMAZON_MULTI]: amazonCsv(10, "m") }) }), {
    file: AMAZON_PRIMARY, line: 2, field: "answer", problem: /is 2, but there are only 2 choices/,
  });
  const notInt = amazonCsv(10, "m", (i) => (i === 1 ? `"Product Sequence:\nx","['a', 'b']",one` : undefined));
  assertDataError(() => loadAmazon({ dataDir: fixtureRoot({ [AMAZON_PRIMARY]: amazonCsv(10, "p"), [AMAZON_MULTI]: notInt }) }), {
    file: AMAZON_MULTI, line: 6, field: "answer", problem: /must be a non-negative integer, found "one"/,
  });
  const noMarker = amazonCsv(10, "p", (i) => (i === 0 ? `"no marker here","['a']",0` : undefined));
  assertDataError(() => loadAmazon({ dataDir: fixtureRoot({ [AMAZON_PRIMARY]: noMarker, [AMAZON_MULTI]: amazonCsv(10, "m") }) }), {
    file: AMAZON_PRIMARY, line: 2, field: "question", problem: /no "Product Sequence:" marker/,
  });
});

test("Amazon: a missing column, a short row and an unterminated quote are located", () => {
  const noAnswer = "question,choices\n\"Product Sequence:\nx\",\"['a']\"\n";
  assertDataError(() => loadAmazon({ dataDir: fixtureRoot({ [AMAZON_PRIMARY]: noAnswer, [AMAZON_MULTI]: amazonCsv(4, "m") }) }), {
    file: AMAZON_PRIMARY, line: 1, field: "answer", problem: /column is missing from the header/,
  });
  const short = amazonCsv(3, "p") + "\"Product Sequence:\nx\",\"['a']\"\n";
  assertDataError(() => loadAmazon({ dataDir: fixtureRoot({ [AMAZON_PRIMARY]: short, [AMAZON_MULTI]: amazonCsv(4, "m") }) }), {
    file: AMAZON_PRIMARY, line: 14, field: undefined, problem: /has 2 fields, the header has 3/,
  });
});

test("a missing data file lists where it was looked for and how to get it", () => {
  const root = fixtureRoot({ [AMAZON_PRIMARY]: amazonCsv(4, "p") });
  assert.throws(() => loadAmazon({ dataDir: root }), (err: unknown) => {
    assert.ok(err instanceof DataError);
    assert.match(err.message, new RegExp(`not found \\(looked in ${join(root, AMAZON_MULTI).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\).*optimas data fetch amazon`));
    return true;
  });
});

// ---------------------------------------------------------------- PubMedQA

function pubmedLine(i: number, override: Record<string, unknown> = {}): string {
  return JSON.stringify({ index: `PubMedQA_x_${i}`, key: String(1000 + i), question: `Does ${i} work?`, context: [`Background ${i}.`, `Results ${i}.`], groundtruth: ["yes", "no", "maybe"][i % 3], ...override });
}

test("PubMedQA: 95% / 5% of the train file, the test file whole, context joined with one space", () => {
  const train = Array.from({ length: 40 }, (_, i) => pubmedLine(i)).join("\n") + "\n";
  const testFile = Array.from({ length: 6 }, (_, i) => pubmedLine(100 + i)).join("\n");
  const splits = loadPubMed({ dataDir: fixtureRoot({ "pubmed/combined_PubMedQA_train.jsonl": train, "pubmed/combined_PubMedQA_test.jsonl": testFile }) });
  assert.deepEqual([splits.train.length, splits.val.length, splits.test.length], [38, 2, 6]);
  assert.deepEqual(splits.val[0], { id: "pubmed/val/1038", fields: { question: "Does 38 work?", context: "Background 38. Results 38.", groundtruth: "maybe" } });
});

test("PubMedQA: invalid JSON, a wrong label, a wrong type and a duplicate id are located", () => {
  const load = (train: string[]) => () =>
    loadPubMed({ dataDir: fixtureRoot({ "pubmed/combined_PubMedQA_train.jsonl": train.join("\n"), "pubmed/combined_PubMedQA_test.jsonl": pubmedLine(99) }) });
  assertDataError(load([pubmedLine(0), "{not json", pubmedLine(2)]), { file: "combined_PubMedQA_train.jsonl", line: 2, field: undefined, problem: /is not valid JSON/ });
  assertDataError(load([pubmedLine(0), pubmedLine(1), pubmedLine(2, { groundtruth: "perhaps" })]), { file: "combined_PubMedQA_train.jsonl", line: 3, field: "groundtruth", problem: /must be yes, no or maybe, found "perhaps"/ });
  assertDataError(load([pubmedLine(0, { context: "one string" })]), { file: "combined_PubMedQA_train.jsonl", line: 1, field: "context", problem: /must be an array of strings, found the string "one string"/ });
  assertDataError(load([pubmedLine(0, { question: undefined })]), { file: "combined_PubMedQA_train.jsonl", line: 1, field: "question", problem: /is missing/ });
  assertDataError(load([pubmedLine(0), "", pubmedLine(0)]), { file: "combined_PubMedQA_train.jsonl", line: 3, field: "key", problem: /repeats PubMed id 1000 \(first seen at .* line 1\)/ });
});

// ---------------------------------------------------------------- HotpotQA

function hotpotLine(i: number, override: Record<string, unknown> = {}): string {
  const titles = [`Alpha ${i}`, `Beta ${i}`, `Gamma ${i}`];
  return JSON.stringify({
    id: `q${i}`, question: `What links Alpha ${i} to the answer?`, answer: `Answer ${i}`, type: i % 5 === 0 ? "comparison" : "bridge", level: "hard",
    supporting_facts: { title: [`Alpha ${i}`, `Beta ${i}`], sent_id: [0, 1] },
    context: { title: titles, sentences: titles.map((t) => [`${t} is a topic.`, ` It relates to Answer ${i}.`]) },
    ...override,
  });
}

test("HotpotQA: a fixed seeded 40/20/40 split, deterministic, covering every row once", () => {
  const file = Array.from({ length: 10 }, (_, i) => hotpotLine(i)).join("\n");
  const load = () => loadHotpotQA({ dataDir: fixtureRoot({ "hotpotqa/hotpot-qa-distractor-sample.jsonl": file }) });
  const a = load();
  assert.deepEqual([a.train.length, a.val.length, a.test.length], [4, 2, 4]);
  assert.deepEqual(load(), a);
  const ids = [...a.train, ...a.val, ...a.test].map((e) => e.id.split("/")[2]).sort();
  assert.deepEqual(ids, Array.from({ length: 10 }, (_, i) => `q${i}`).sort());
  assert.notDeepEqual(a.train.map((e) => e.id.split("/")[2]), ["q0", "q1", "q2", "q3"], "shuffled, not file order");
  const ex = [...a.train, ...a.val, ...a.test].find((e) => e.id.endsWith("/q3"))!;
  assert.equal(ex.fields.gd_answer, "Answer 3");
  assert.deepEqual(ex.fields.supporting_facts, [{ title: "Alpha 3", sent_id: 0 }, { title: "Beta 3", sent_id: 1 }]);
  assert.deepEqual(hotpotqaOracle(ex), {
    answer: "Answer 3", type: "bridge",
    supporting_facts: [{ title: "Alpha 3", sent_id: 0, sentence: "Alpha 3 is a topic." }, { title: "Beta 3", sent_id: 1, sentence: "It relates to Answer 3." }],
    gold_titles: ["Alpha 3", "Beta 3"], bridge_entity: "Beta 3",
  });
  const pool = hotpotParagraphPool(a);
  assert.equal(pool.length, 30);
  assert.ok(pool.some((p) => p.title === "Gamma 7" && p.text === "Gamma 7 is a topic. It relates to Answer 7."));
});

test("HotpotQA: supporting facts must point at real sentences; type must be bridge or comparison", () => {
  const load = (lines: string[]) => () => loadHotpotQA({ dataDir: fixtureRoot({ "hotpotqa/hotpot-qa-distractor-sample.jsonl": lines.join("\n") }) });
  const file = "hotpot-qa-distractor-sample.jsonl";
  assertDataError(load([hotpotLine(0), hotpotLine(1, { supporting_facts: { title: ["Alpha 1"], sent_id: [5] } })]), { file, line: 2, field: "supporting_facts.sent_id", problem: /sentence 5 of "Alpha 1", which has 2/ });
  assertDataError(load([hotpotLine(0, { supporting_facts: { title: ["Nowhere"], sent_id: [0] } })]), { file, line: 1, field: "supporting_facts.title", problem: /"Nowhere", which is not one of the row's context titles/ });
  assertDataError(load([hotpotLine(0, { type: "multi" })]), { file, line: 1, field: "type", problem: /must be "bridge" or "comparison"/ });
  assertDataError(load([hotpotLine(0, { context: { title: ["A"], sentences: "x" } })]), { file, line: 1, field: "context.sentences", problem: /array of arrays/ });
  assertDataError(load([hotpotLine(0), hotpotLine(0)]), { file, line: 2, field: "id", problem: /repeats question id q0/ });
});

// ---------------------------------------------------------------- BigCodeBench

function bcbTask(n: number, override: Record<string, unknown> = {}): string {
  return JSON.stringify({
    task_id: `BigCodeBench/${n}`, complete_prompt: `def task_func():\n    """Doc ${n}."""\n`, instruct_prompt: `Write task ${n}.`,
    canonical_solution: `    return ${n}\n`, code_prompt: "def task_func():\n",
    test: `import unittest\nclass TestCases(unittest.TestCase):\n    def test_value(self):\n        self.assertEqual(task_func(), ${n})\n    def test_type(self):\n        pass\n`,
    entry_point: "task_func", doc_struct: "{}", libs: "[]", ...override,
  });
}

function bcbFiles(tasks: string[], split: unknown, stdlib: unknown, slowSeconds: unknown = {}): Record<string, string | Buffer> {
  return {
    "bigcodebench/BigCodeBench.jsonl.gz": gzipSync(tasks.join("\n") + "\n"),
    "bigcodebench/bigcodebench_v0.1.3_optimas_split_seed42.json": JSON.stringify(split),
    "bigcodebench/stdlib_task_ids.json": JSON.stringify(stdlib),
    "bigcodebench/stdlib_task_ids_audit.json": JSON.stringify({ notes: { test_runtime_over_10s: slowSeconds } }),
  };
}

test("BigCodeBench: split positions from the split file, restricted to stdlib tasks by default", () => {
  const tasks = Array.from({ length: 6 }, (_, n) => bcbTask(n));
  const root = fixtureRoot(bcbFiles(tasks, { train: [0, 2, 3], val: [5], test: [1, 4] }, ["BigCodeBench/0", "BigCodeBench/3", "BigCodeBench/4"]));
  const std = loadBigCodeBench({ dataDir: root });
  assert.deepEqual([std.train, std.val, std.test].map((s) => s.map((e) => e.id)), [["bigcodebench/train/0", "bigcodebench/train/3"], [], ["bigcodebench/test/4"]]);
  const all = loadBigCodeBench({ dataDir: root, subset: "all" });
  assert.deepEqual([all.train.length, all.val.length, all.test.length], [3, 1, 2]);
  const ex = std.train[1]!;
  assert.equal(ex.fields.question, "Write task 3.");
  assert.equal(ex.fields.canonical_code, "def task_func():\n    return 3\n");
  assert.equal(ex.fields.entry_point, "task_func");
  assert.deepEqual((bigcodebenchOracle(ex) as { test_names: string[] }).test_names, ["test_value", "test_type"]);
});

test("BigCodeBench: stdlib-fast drops the audit's slow tasks, which get a limit of twice their runtime", () => {
  const tasks = Array.from({ length: 6 }, (_, n) => bcbTask(n));
  const root = fixtureRoot(bcbFiles(tasks, { train: [0, 2, 3], val: [5], test: [1, 4] }, ["BigCodeBench/0", "BigCodeBench/3", "BigCodeBench/4"], { "BigCodeBench/3": 45, "BigCodeBench/5": 4 }));
  const limits = (splits: ReturnType<typeof loadBigCodeBench>) => Object.fromEntries([...splits.train, ...splits.val, ...splits.test].map((e) => [e.id, e.fields.time_limit_ms]));
  assert.deepEqual(limits(loadBigCodeBench({ dataDir: root })), { "bigcodebench/train/0": DEFAULT_TASK_TIME_LIMIT_MS, "bigcodebench/train/3": 90_000, "bigcodebench/test/4": DEFAULT_TASK_TIME_LIMIT_MS });
  assert.deepEqual(Object.keys(limits(loadBigCodeBench({ dataDir: root, subset: "stdlib-fast" }))), ["bigcodebench/train/0", "bigcodebench/test/4"]);
  assert.equal(limits(loadBigCodeBench({ dataDir: root, subset: "all" }))["bigcodebench/val/5"], DEFAULT_TASK_TIME_LIMIT_MS, "4 s × 2 is under the default");
  assert.throws(() => loadBigCodeBench({ dataDir: root, subset: "fast" as "stdlib" }), /"fast" is not a BigCodeBench subset; use one of stdlib, stdlib-fast, all/);
  assertDataError(() => loadBigCodeBench({ dataDir: fixtureRoot(bcbFiles(tasks, { train: [0], val: [1], test: [2] }, [], { "BigCodeBench/2": "slow" })) }), {
    file: "stdlib_task_ids_audit.json",
    line: undefined,
    field: "notes.test_runtime_over_10s.BigCodeBench/2",
    problem: /must be a positive number of seconds/,
  });
});

test("BigCodeBench: rows out of task order, a bad split file, an unknown stdlib id and a bad gzip are errors", () => {
  const tasks = Array.from({ length: 3 }, (_, n) => bcbTask(n));
  const swapped = [tasks[0]!, tasks[2]!, tasks[1]!];
  const split = { train: [0], val: [1], test: [2] };
  assertDataError(() => loadBigCodeBench({ dataDir: fixtureRoot(bcbFiles(swapped, split, [])) }), { file: "BigCodeBench.jsonl.gz", line: 2, field: "task_id", problem: /must be "BigCodeBench\/1"/ });
  const noTests = [tasks[0]!, bcbTask(1, { test: "print('no tests')" }), tasks[2]!];
  assertDataError(() => loadBigCodeBench({ dataDir: fixtureRoot(bcbFiles(noTests, split, [])) }), { file: "BigCodeBench.jsonl.gz", line: 2, field: "test", problem: /no `class TestCases/ });
  assertDataError(() => loadBigCodeBench({ dataDir: fixtureRoot(bcbFiles(tasks, { train: [0], val: [7], test: [2] }, [])) }), { file: "bigcodebench_v0.1.3_optimas_split_seed42.json", line: undefined, field: "val", problem: /row positions between 0 and 2/ });
  assertDataError(() => loadBigCodeBench({ dataDir: fixtureRoot(bcbFiles(tasks, split, ["BigCodeBench/9"])) }), { file: "stdlib_task_ids.json", line: undefined, field: undefined, problem: /lists "BigCodeBench\/9"/ });
  const files = bcbFiles(tasks, split, []);
  files["bigcodebench/BigCodeBench.jsonl.gz"] = "plain text";
  assertDataError(() => loadBigCodeBench({ dataDir: fixtureRoot(files) }), { file: "BigCodeBench.jsonl.gz", line: undefined, field: undefined, problem: /not a valid gzip file/ });
});

// ---------------------------------------------------------------- STaRK

function starkFiles(qaRows: string[], split: Record<string, string>): Record<string, string> {
  return {
    "stark/stark_qa/stark_qa.csv": ["id,query,answer_ids", ...qaRows].join("\n") + "\n",
    "stark/split/train.index": split.train ?? "",
    "stark/split/val.index": split.val ?? "",
    "stark/split/test.index": split.test ?? "",
  };
}

test("STaRK: the first ids of each split file, questions with embedded newlines, answer ids", () => {
  const rows = Array.from({ length: 8 }, (_, i) => `${i},"Which gene ${i}?${i === 3 ? "\nSecond line." : ""}","[${100 + i}, ${200 + i}]"`);
  const root = fixtureRoot(starkFiles(rows, { train: "5\n3\n1\n7", val: "0\n2", test: "4\n6\n" }));
  const splits = loadStarkQA({ dataDir: root, sizes: { train: 2, val: 25, test: 1 } });
  assert.deepEqual(splits.train.map((e) => e.id), ["stark/train/5", "stark/train/3"]);
  assert.deepEqual(splits.train[1]!.fields, { question: "Which gene 3?\nSecond line.", question_id: 3, answer_ids: [103, 203] });
  assert.deepEqual(splits.val.map((e) => e.fields.question_id), [0, 2]);
  assert.deepEqual(splits.test.map((e) => e.fields.question_id), [4]);
});

test("STaRK: bad answer ids and bad index lines are located", () => {
  const good = ["0,Q0,[1]", "1,Q1,[2]"];
  assertDataError(() => loadStarkQA({ dataDir: fixtureRoot(starkFiles([good[0]!, "1,Q1,\"[2, x]\""], { train: "0" })) }), { file: "stark_qa.csv", line: 3, field: "answer_ids", problem: /non-empty list of node ids/ });
  assertDataError(() => loadStarkQA({ dataDir: fixtureRoot(starkFiles(good, { train: "0\nabc" })) }), { file: "train.index", line: 2, field: undefined, problem: /must hold one question id, found "abc"/ });
  assertDataError(() => loadStarkQA({ dataDir: fixtureRoot(starkFiles(good, { train: "0", val: "9" })) }), { file: "val.index", line: 1, field: undefined, problem: /question id 9, which stark_qa\/stark_qa.csv does not have/ });
});
