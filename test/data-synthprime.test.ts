import { test } from "node:test";
import assert from "node:assert/strict";
import { allExamples } from "../src/data/splits";
import { loadSynthPrime, synthprimeOracleResolver, type Constraint } from "../src/data/synthprime";
import { renderRelationInfo, renderTextInfo, type SynthPrimeKB } from "../src/data/synthprime-kb";
import { TfIdfIndex } from "../src/data/tfidf";

const data = loadSynthPrime({ seed: 0 });
const examples = allExamples(data.splits);

/** Whether an entity satisfies a constraint, judged from its rendered information only (independent of the generator's graph code). */
function satisfiesByText(kb: SynthPrimeKB, id: number, c: Constraint): boolean {
  if (c.kind === "text") return renderTextInfo(kb, id).includes(`  - ${c.property}: ${c.value}\n`);
  const line = renderRelationInfo(kb, id).split("\n").find((l) => l.startsWith(`  - ${c.relation} (${c.entityType}): `));
  return line !== undefined && line.slice(line.indexOf("): ") + 3).split(", ").includes(c.entityName);
}

test("same seed, same dataset; another seed, another dataset", () => {
  assert.deepEqual(loadSynthPrime({ seed: 0 }).splits, data.splits);
  const other = loadSynthPrime({ seed: 1 }).splits;
  assert.notDeepEqual(other.train.map((e) => e.fields.question), data.splits.train.map((e) => e.fields.question));
  assert.ok(other.train[0]!.id.startsWith("synthprime/train/1-"));
});

test("STaRK-Prime's split sizes by default, unique ids and questions", () => {
  assert.deepEqual([data.splits.train.length, data.splits.val.length, data.splits.test.length], [250, 25, 100]);
  assert.equal(new Set(examples.map((e) => e.id)).size, 375);
  assert.equal(new Set(examples.map((e) => e.fields.question)).size, 375);
  const small = loadSynthPrime({ seed: 0, sizes: { train: 3, val: 1, test: 2 } }).splits;
  assert.deepEqual([small.train.length, small.val.length, small.test.length], [3, 1, 2]);
});

test("gold answers are exactly the entities whose rendered information satisfies every constraint", () => {
  const { kb, queries } = data;
  for (const ex of examples) {
    const q = queries.get(ex.id)!;
    const targetType = kb.entities[q.candidateIds[0]!]!.type;
    const gold = kb.entities.filter((e) => e.type === targetType && q.constraints.every((c) => satisfiesByText(kb, e.id, c))).map((e) => e.id);
    assert.deepEqual(ex.fields.answer_ids, gold, ex.id);
    assert.ok(q.constraints.length >= 2 && q.constraints.some((c) => c.kind === "relation"), `${ex.id} combines constraints`);
    for (const c of q.constraints) assert.ok(String(ex.fields.question).includes(c.kind === "text" ? c.value : c.entityName), `${ex.id} mentions ${JSON.stringify(c)}`);
  }
});

test("five distinct candidates of the answer type, at least one gold, and the hardest negatives", () => {
  const { kb, queries } = data;
  for (const ex of examples) {
    const q = queries.get(ex.id)!;
    const candidates = ex.fields.candidate_ids as number[];
    const gold = new Set(ex.fields.answer_ids as number[]);
    assert.equal(new Set(candidates).size, 5, ex.id);
    assert.ok(candidates.some((id) => gold.has(id)), `${ex.id} has a gold candidate`);
    const type = kb.entities[candidates[0]!]!.type;
    assert.ok(candidates.every((id) => kb.entities[id]!.type === type));
    // No entity left out satisfies more constraints than a negative that was kept.
    const count = (id: number) => q.constraints.filter((c) => satisfiesByText(kb, id, c)).length;
    const negatives = candidates.filter((id) => !gold.has(id)).map(count);
    const leftOut = kb.entities.filter((e) => e.type === type && !gold.has(e.id) && !candidates.includes(e.id)).map((e) => count(e.id));
    assert.ok(Math.min(...negatives) >= Math.max(...leftOut), ex.id);
    assert.deepEqual(q.satisfied, candidates.map(count));
  }
  const negativesWithPartialMatch = examples.flatMap((ex) => data.queries.get(ex.id)!.satisfied.filter((s, i) => !(ex.fields.answer_ids as number[]).includes((ex.fields.candidate_ids as number[])[i]!) && s > 0));
  assert.ok(negativesWithPartialMatch.length > 0);
});

test("embedding scores are the TF-IDF cosine of query and text document, rounded to 2 decimals", () => {
  const { kb } = data;
  const index = new TfIdfIndex(kb.entities.map((e) => renderTextInfo(kb, e.id)));
  for (const ex of examples.slice(0, 60)) {
    const expected = (ex.fields.candidate_ids as number[]).map((id) => Math.round(index.similarity(String(ex.fields.question), id) * 100) / 100);
    assert.deepEqual(ex.fields.emb_scores, expected, ex.id);
    assert.ok(expected.every((s) => s >= 0 && s <= 1));
  }
});

test("relation_info and text_info are Python json.dumps(indent=2) lists of the 5 candidates' texts, ≤ 1024 characters each", () => {
  const { kb } = data;
  for (const ex of examples.slice(0, 40)) {
    for (const [field, render] of [["relation_info", renderRelationInfo], ["text_info", renderTextInfo]] as const) {
      const text = String(ex.fields[field]);
      assert.match(text, /^\[\n {2}"/);
      assert.ok(/^[\x00-\x7f]*$/.test(text), "ensure_ascii");
      const items = JSON.parse(text) as string[];
      assert.deepEqual(items, (ex.fields.candidate_ids as number[]).map((id) => render(kb, id)));
      assert.ok(items.every((s) => s.length <= 1024));
    }
  }
});

test("the oracle resolver gives the gold positions among the candidates and the constraints", () => {
  const resolve = synthprimeOracleResolver({ seed: 0 });
  const ex = data.splits.test[7]!;
  const oracle = resolve(ex.id) as { gold_positions: number[]; answer_ids: number[]; constraints: unknown[] };
  const candidates = ex.fields.candidate_ids as number[];
  assert.ok(oracle.gold_positions.length >= 1);
  assert.deepEqual(oracle.gold_positions, candidates.flatMap((id, i) => (oracle.answer_ids.includes(id) ? [i] : [])));
  assert.deepEqual(oracle.constraints, data.queries.get(ex.id)!.constraints);
  assert.equal(resolve("synthprime/test/0-99999"), undefined);
});
