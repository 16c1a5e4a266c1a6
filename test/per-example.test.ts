/**
 * Per-example evaluation (core/per-example.ts, `optimas eval --csv`): one row per example from the
 * test score's own runs, a failed run's cause in its row and never a score, and the CSV's columns.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Papa from "papaparse";
import { EXAMPLE_COLUMNS, evaluateExamples, examplesCsv } from "../src/core/per-example";
import { measureTestScore } from "../src/core/test-score";
import { SimLM } from "../src/lm/sim/simlm";
import type { ChatMeta, ChatRequest } from "../src/core/lm-types";
import { createRuntime } from "../src/repro/runtime";
import { main } from "../src/cli/main";

const BROKEN = "toy/test/1";

test("one row per example, scored as the test score scores them; a failed example has a cause, no score", async () => {
  const chat = SimLM.prototype.chat;
  // A tool crashes on every call for one example: each of its runs fails (a counted failure, never a 0).
  SimLM.prototype.chat = function (this: SimLM, request: ChatRequest, meta: ChatMeta) {
    if (meta.exampleId === BROKEN) return Promise.reject(Object.assign(new Error("sandbox crashed\nstack"), { failureCause: "tool" }));
    return chat.call(this, request, meta);
  };
  const rt = createRuntime({ system: "toy", world: 0, seed: 0 });
  const examples = rt.data.test.slice(0, 5);
  let evaluated;
  try {
    evaluated = await evaluateExamples(rt.system, examples, rt.ctx.withStage("eval"), { passes: 2 });
  } finally {
    SimLM.prototype.chat = chat;
  }
  const { rows, score } = evaluated;
  assert.deepEqual(rows.map((r) => r.id), examples.map((e) => e.id));
  const broken = rows.find((r) => r.id === BROKEN)!;
  assert.equal(broken.score, null);
  assert.equal(broken.output, "");
  assert.equal(broken.failed_passes, 2);
  assert.equal(broken.failure, "tool: sandbox crashed");
  assert.equal(broken.pass_scores, "[null,null]");

  // The other rows' scores are the test score of the same examples, run on their own.
  const fresh = createRuntime({ system: "toy", world: 0, seed: 0 });
  const others = examples.filter((e) => e.id !== BROKEN);
  const direct = await measureTestScore(fresh.system, others, fresh.ctx.withStage("eval"), { passes: 2 });
  assert.deepEqual(rows.filter((r) => r.id !== BROKEN).map((r) => r.score), direct.perExample);
  assert.equal(score.mean, direct.mean);
  for (const row of rows.filter((r) => r.id !== BROKEN)) {
    const passes = JSON.parse(row.pass_scores) as number[];
    assert.equal(row.score, passes.reduce((a, b) => a + b, 0) / passes.length);
    assert.equal(row.failed_passes, 0);
    assert.equal(row.failure, "");
    assert.notEqual(row.output, "");
    assert.match(row.inputs, /^question: .*\ndocument: /s);
  }
  // Gold is the system's ground-truth output.
  assert.equal(rows[0]!.gold, String(examples[0]!.fields.answer));

  // The CSV: stable header, an empty cell (not 0) for the missing score, text round-trips.
  const parsed = Papa.parse<Record<string, string>>(examplesCsv(rows), { header: true, skipEmptyLines: true });
  assert.deepEqual(parsed.meta.fields, [...EXAMPLE_COLUMNS]);
  assert.equal(parsed.data.find((r) => r.id === BROKEN)!.score, "");
  assert.deepEqual(parsed.data.map((r) => r.inputs), rows.map((r) => r.inputs));
});

test("optimas eval --csv writes the rows the printed score comes from", async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "optimas-eval-csv-")), "rows.csv");
  let out = "";
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string) => {
    out += chunk;
    return true;
  }) as typeof process.stdout.write;
  let code: number;
  try {
    code = await main(["node", "optimas", "eval", "--system", "toy", "--limit", "4", "--repeats", "2", "--csv", file, "--json"]);
  } finally {
    process.stdout.write = write;
  }
  assert.equal(code, 0, out);
  const printed = JSON.parse(out.trim().split("\n").pop()!) as { mean: number; n: number; csv: string };
  const parsed = Papa.parse<Record<string, string>>(fs.readFileSync(file, "utf8"), { header: true, skipEmptyLines: true });
  assert.deepEqual(parsed.meta.fields, [...EXAMPLE_COLUMNS]);
  assert.equal(parsed.data.length, 4);
  const scores = parsed.data.map((r) => Number(r.score));
  assert.ok(Math.abs(scores.reduce((a, b) => a + b, 0) / scores.length - printed.mean) < 1e-12);
  assert.equal(printed.csv, file);
});
