import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { main } from "../src/cli/main";
import { EXIT } from "../src/core/failure";
import { ci95, mean, std } from "../src/core/stats";
import { measureTestScore, TEST_PASSES, TEST_SAMPLE_INDEX } from "../src/core/test-score";
import { SAMPLE_RANGES, testSample } from "../src/core/sample-indices";
import { createRuntime, separateContext } from "../src/repro/runtime";
import { runSuite } from "../src/repro/suite";
import { resolveSuite } from "../src/repro/suite-config";

/** One definition of a test score, the same number from eval, optimize and a suite. */

function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "optimas-test-score-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs the CLI in process and returns the JSON object it prints last. */
async function cliJson(...args: string[]): Promise<Record<string, unknown>> {
  const out: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
  let code: number;
  try {
    code = await main(["node", "optimas", ...args, "--json"]);
  } finally {
    process.stdout.write = write;
  }
  assert.equal(code, EXIT.ok);
  return JSON.parse(out.join("").trim().split("\n").pop()!) as Record<string, unknown>;
}

test("a test score is TEST_PASSES passes at fresh fixed sample indices, the mean of per-example means, with its spread over examples", async () => {
  assert.ok(TEST_PASSES >= 5, "at least 5 passes");
  // Fresh: every test pass lies in the test range, which no optimizing draw uses (sample-indices.test.ts).
  for (let p = 0; p < TEST_PASSES; p++) {
    const index = TEST_SAMPLE_INDEX + p;
    assert.ok(index >= SAMPLE_RANGES.test.start && index < SAMPLE_RANGES.test.end && index === testSample(p));
  }
  const rt = createRuntime({ system: "toy", world: 2 });
  const examples = rt.data.test;
  const score = await measureTestScore(rt.system, examples, separateContext(rt).ctx);
  // The same passes measured one at a time, at the sample indices the definition states.
  const passes: number[][] = [];
  for (let p = 0; p < TEST_PASSES; p++) {
    const pass = (await rt.system.evaluate(examples, separateContext(rt).ctx.withSample(TEST_SAMPLE_INDEX + p))).scores[0]!;
    passes.push(pass.map((s) => (assert.notEqual(s, null, "no run fails on SimLM"), s!)));
  }
  const perExample = examples.map((_, i) => mean(passes.map((pass) => pass[i]!)));
  assert.deepEqual(score.perExample, perExample);
  assert.equal(score.passes, TEST_PASSES);
  assert.equal(score.n, examples.length);
  assert.equal(score.mean, mean(perExample));
  assert.equal(score.sd, std(perExample));
  assert.equal(score.se, std(perExample) / Math.sqrt(examples.length));
  assert.equal(score.ci95, ci95(perExample));
  assert.ok(new Set(passes.map((p) => p.join())).size > 1, "the passes draw differently (the toy system samples at temperature > 0)");
});

test("one toy cell gives the same test score from optimize and from a suite, and its score before optimizing is eval's", async (t) => {
  const dir = scratch(t);
  const optimized = await cliJson("optimize", "--system", "toy", "--method", "opro", "--world", "1", "--out", path.join(dir, "run"));
  const suite = resolveSuite({ name: "one-cell", description: "", systems: ["toy"], methods: ["opro"], seeds: [0], worlds: [1], preset: "quick", backend: "simlm" });
  const [row] = (await runSuite(suite, { outDir: path.join(dir, "suite"), workers: 1, png: false })).rows;
  assert.equal(row!.status, "finished");
  assert.equal(row!.test_mean, optimized.test_after);
  assert.equal(row!.test_before, optimized.test_before);
  assert.equal(row!.test_se, optimized.test_se_after);
  assert.equal(row!.test_passes, TEST_PASSES);
  assert.notEqual(optimized.test_after, optimized.test_before, "the method changed the system, so the comparison covers an optimized cell");
  const evaluated = await cliJson("eval", "--system", "toy", "--world", "1");
  assert.equal(evaluated.mean, optimized.test_before);
  assert.equal(evaluated.passes, TEST_PASSES);
});
