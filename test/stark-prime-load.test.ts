import { after, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { RunContext } from "../src/core/context";
import { DataError } from "../src/data/errors";
import { OracleStore } from "../src/data/oracle";
import { loadStarkPrimeCandidates, loadStarkQA, STARK_CANDIDATES_FILE, starkOracleResolver } from "../src/data/stark";
import { loadSynthPrime } from "../src/data/synthprime";
import { LMClient } from "../src/lm/client";
import { SimLM } from "../src/lm/sim/simlm";
import { buildStarkSystem } from "../src/systems/stark/index";
import { fixtureRoot, removeFixtureRoots, starkQaFiles, type CandidateLineFields, type FixtureQuestion } from "./stark-prime-fixtures";

after(removeFixtureRoots);

const QUESTIONS: FixtureQuestion[] = Array.from({ length: 8 }, (_, id) => ({ id, query: `Which gene ${id} is linked to disease ${id}?`, answers: [100 + id, 200 + id] }));
const SPLITS = { train: [5, 3, 1], val: [0], test: [4, 6] };
const CANDIDATES_PATH = `stark/${STARK_CANDIDATES_FILE}`;

/** A valid line for question `id`: its first answer among four other nodes, with spread-out embedding scores. */
function goodLine(id: number): CandidateLineFields {
  const candidates = [900 + id, 100 + id, 910 + id, 920 + id, 930 + id];
  return {
    question_id: id,
    candidate_ids: candidates,
    emb_scores: [0.9, 0.1, 0.5, 0.3, 0.7],
    relation_info: candidates.map((c) => `- name: Gène ${c}\x7f\n- type: gene/protein\n- relations:\n  ppi: {gene/protein: (N${c}),}`),
    text_info: candidates.map((c) => `- name: Gène ${c}\n- type: gene/protein\n- source: NCBI\n`),
  };
}

const jsonl = (lines: readonly unknown[]): string => lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n") + "\n";

/** A data root with the QA fixture and a candidate file of the given lines (strings are written as they are). */
function rootWith(lines: readonly unknown[]): string {
  return fixtureRoot({ ...starkQaFiles(QUESTIONS, SPLITS), [CANDIDATES_PATH]: jsonl(lines) });
}

const ALL_LINES = [5, 3, 1, 0, 4, 6, 7].map(goodLine);

test("a good candidate file joins the CSV subsets: same ids, order, questions and answers; SynthPrime's fields", () => {
  const root = rootWith(ALL_LINES);
  const splits = loadStarkPrimeCandidates({ dataDir: root });
  const qa = loadStarkQA({ dataDir: root });
  const synthFields = Object.keys(loadSynthPrime({ sizes: { train: 1, val: 0, test: 0 } }).splits.train[0]!.fields).sort();
  for (const split of ["train", "val", "test"] as const) {
    assert.deepEqual(splits[split].map((e) => e.id), qa[split].map((e) => e.id), split);
    for (const [i, example] of splits[split].entries()) {
      assert.deepEqual(Object.keys(example.fields).sort(), synthFields);
      assert.equal(example.fields.question, qa[split][i]!.fields.question);
      assert.deepEqual(example.fields.answer_ids, qa[split][i]!.fields.answer_ids);
      const line = goodLine(example.fields.question_id as number);
      assert.deepEqual(example.fields.candidate_ids, line.candidate_ids);
      assert.deepEqual(example.fields.emb_scores, line.emb_scores);
      // Python's json.dumps(list, indent=2): one string a line, non-ASCII and DEL escaped.
      for (const field of ["relation_info", "text_info"] as const) {
        const text = example.fields[field] as string;
        assert.deepEqual(JSON.parse(text), line[field]);
        assert.match(text, /^\[\n {2}"- name: G\\u00e8ne /);
        assert.ok(/^[\x20-\x7e\n]*$/.test(text), `${field} must be ASCII without DEL`);
      }
      assert.match(example.fields.relation_info as string, /\\u007f/);
    }
  }
  assert.deepEqual(splits.train.map((e) => e.fields.question_id), [5, 3, 1]);
  assert.equal(splits.test.length, 2);
  // The sizes option cuts the subsets as it does for the questions.
  assert.deepEqual(loadStarkPrimeCandidates({ dataDir: root, sizes: { train: 1 } }).train.map((e) => e.fields.question_id), [5]);
});

test("the STaRK system runs end to end on the loaded examples under SimLM", async () => {
  const root = rootWith(ALL_LINES);
  const examples = loadStarkPrimeCandidates({ dataDir: root }).test;
  const oracles = new OracleStore();
  oracles.register("stark", starkOracleResolver({ dataDir: root }));
  assert.deepEqual(oracles.get(examples[0]!.id), { answer_ids: [104, 204] });
  const ctx = new RunContext({ lm: new LMClient({ provider: new SimLM({ world: 0, oracles }) }), seed: 0 });
  const system = buildStarkSystem();
  const run = await system.run(examples[0]!, ctx);
  assert.deepEqual(run.trace.map((r) => r.component).sort(), ["final_scorer", "relation_scorer", "text_scorer"]);
  const finals = run.outputs.final_scores as number[];
  assert.equal(finals.length, 5);
  // final = 0.1·relation + 0.1·text + emb with LLM scores in [0, 1]: the embedding scores carry through.
  const emb = examples[0]!.fields.emb_scores as number[];
  finals.forEach((f, i) => assert.ok(f >= emb[i]! - 1e-9 && f <= emb[i]! + 0.2 + 1e-9, `candidate ${i + 1}: ${f} vs emb ${emb[i]}`));
  const result = await system.evaluate(examples, ctx);
  assert.equal(result.n, 2);
  assert.equal(result.failures, 0);
  // Every candidate set holds a gold answer, so each MRR is at least 1/5.
  assert.ok(result.perExample.every((s) => s !== null && s >= 0.2 && s <= 1), String(result.perExample));
});

/** Asserts a one-line DataError naming the candidate file, line and field, with the build script as the fix. */
function assertCandidateError(lines: readonly unknown[], where: { line?: number; field?: string; problem: RegExp }): void {
  assert.throws(
    () => loadStarkPrimeCandidates({ dataDir: rootWith(lines) }),
    (err: unknown) => {
      assert.ok(err instanceof DataError, `expected a DataError, got ${String(err)}`);
      assert.ok(err.file.endsWith(join("stark", "processed", "stark_prime_candidates.jsonl")), err.file);
      assert.equal(err.line, where.line);
      assert.equal(err.field, where.field);
      assert.match(err.problem, where.problem);
      assert.ok(!err.message.includes("\n"), "one line");
      if (where.line !== undefined) assert.match(err.message, new RegExp(`, line ${where.line}[,:]`));
      if (where.field !== undefined) assert.match(err.message, new RegExp(`field "${where.field}"`));
      assert.match(err.message, /rebuild the file with `pip install stark-qa torch && python3 scripts\/build_stark_prime\.py --emb-dir /);
      return true;
    },
  );
}

/** ALL_LINES with line `index` (0-based) replaced. */
function replacing(index: number, line: unknown): unknown[] {
  return ALL_LINES.map((l, i) => (i === index ? line : l));
}

test("bad lines: unparsable, missing or mistyped fields, not five candidates, unknown or repeated question ids, no gold answer", () => {
  assertCandidateError(replacing(1, '{"question_id": 3, "candidate_ids": [1, 2'), { line: 2, problem: /is not valid JSON/ });
  const withoutText: Partial<CandidateLineFields> = goodLine(3);
  delete withoutText.text_info;
  assertCandidateError(replacing(1, withoutText), { line: 2, field: "text_info", problem: /is missing/ });
  assertCandidateError(replacing(2, { ...goodLine(1), question_id: "1" }), { line: 3, field: "question_id", problem: /must be an integer question id, found "1"/ });
  assertCandidateError(replacing(2, { ...goodLine(1), candidate_ids: ["901", 101, 911, 921, 931] }), { line: 3, field: "candidate_ids", problem: /must be an array of integers/ });
  assertCandidateError(replacing(2, { ...goodLine(1), emb_scores: [0.9, "0.1", 0.5, 0.3, 0.7] }), { line: 3, field: "emb_scores", problem: /must be an array of numbers/ });
  assertCandidateError(replacing(2, { ...goodLine(1), relation_info: [1, 2, 3, 4, 5] }), { line: 3, field: "relation_info", problem: /must be an array of strings/ });
  assertCandidateError(replacing(3, { ...goodLine(0), candidate_ids: [900, 100, 910, 920] }), { line: 4, field: "candidate_ids", problem: /exactly 5 entries .*found 4/ });
  assertCandidateError(replacing(3, { ...goodLine(0), emb_scores: [0.9, 0.1, 0.5, 0.3, 0.7, 0.2] }), { line: 4, field: "emb_scores", problem: /exactly 5 entries .*found 6/ });
  assertCandidateError(replacing(3, { ...goodLine(0), text_info: ["a", "b", "c", "d"] }), { line: 4, field: "text_info", problem: /exactly 5 entries .*found 4/ });
  assertCandidateError(replacing(4, { ...goodLine(4), question_id: 42 }), { line: 5, field: "question_id", problem: /names question 42, which stark_qa\/stark_qa\.csv does not have/ });
  assertCandidateError(replacing(4, { ...goodLine(4), candidate_ids: [900, 901, 902, 903, 999] }), { line: 5, field: "candidate_ids", problem: /holds none of question 4's answers \[104,204\]/ });
  assertCandidateError([...ALL_LINES, goodLine(3)], { line: 8, field: "question_id", problem: /repeats question 3 \(first on line 2\)/ });
});

test("a subset question without a line, and a missing file, say what to build and how", () => {
  assertCandidateError(ALL_LINES.filter((l) => l.question_id !== 6), { field: "question_id", problem: /has no line for question 6 \(test subset, position 2\)/ });
  const root = fixtureRoot(starkQaFiles(QUESTIONS, SPLITS));
  assert.throws(
    () => loadStarkPrimeCandidates({ dataDir: root }),
    (err: unknown) => {
      assert.ok(err instanceof DataError);
      assert.ok(!err.message.includes("\n"), "one line");
      assert.match(err.message, /^stark\/processed\/stark_prime_candidates\.jsonl: not found \(looked in [^)]*stark_prime_candidates\.jsonl\)/);
      assert.ok(err.message.includes(join(root, CANDIDATES_PATH)), err.message);
      assert.match(err.message, /build it with `pip install stark-qa torch && python3 scripts\/build_stark_prime\.py --emb-dir .*` \(see src\/systems\/stark\/README\.md\)$/);
      return true;
    },
  );
});
