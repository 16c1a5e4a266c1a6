/**
 * Failed runs reach every record: a test example whose model calls always run out of retries is
 * counted in baseline.json, result.json and results.csv, and left out of test_before and
 * test_after (which equal the scores of the other examples), never averaged in as a 0.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { measureTestScore, TEST_PASSES } from "../src/core/test-score";
import { RUN_RERUNS } from "../src/core/run-failures";
import { SimLM } from "../src/lm/sim/simlm";
import type { ChatMeta, ChatRequest } from "../src/core/lm-types";
import { runOptimizeJob, type OptimizeSummary } from "../src/repro/optimize-job";
import { readResultRow } from "../src/repro/results";
import { createRuntime } from "../src/repro/runtime";

const BROKEN = "toy/test/0";

test("exhausted retries on one test example are counted in every record and left out of the test scores", async () => {
  const chat = SimLM.prototype.chat;
  let refused = 0;
  // The endpoint runs out of retries on every call for one test example, at every attempt.
  SimLM.prototype.chat = function (this: SimLM, request: ChatRequest, meta: ChatMeta) {
    if (meta.exampleId === BROKEN && meta.stage === "test") {
      refused++;
      return Promise.reject(Object.assign(new Error("HTTP 503 after 6 attempts"), { failureCause: "retries-exhausted" }));
    }
    return chat.call(this, request, meta);
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "optimas-records-"));
  let summary: OptimizeSummary;
  try {
    summary = await runOptimizeJob({ system: "toy", method: "unoptimized", preset: "quick", world: 0, seed: 0, backend: "simlm" }, dir);
  } finally {
    SimLM.prototype.chat = chat;
  }
  // TEST_PASSES passes before and as many after, each run tried 1 + RUN_RERUNS times.
  assert.equal(refused, 2 * TEST_PASSES * (1 + RUN_RERUNS));
  const counted = { runs: 60 * TEST_PASSES, failed: { "retries-exhausted": TEST_PASSES }, parseFailures: summary.failures.baseline.parseFailures, reruns: TEST_PASSES * RUN_RERUNS };
  assert.deepEqual(summary.failures.baseline, counted);
  assert.deepEqual(summary.failures.test, { ...counted, parseFailures: summary.failures.test.parseFailures });
  assert.equal(summary.failed_runs, 2 * TEST_PASSES);

  // The scores are those of the other 59 examples: nothing was averaged in as 0.
  const rt = createRuntime({ system: "toy", world: 0, seed: 0 });
  const others = await measureTestScore(rt.system, rt.data.test.filter((e) => e.id !== BROKEN), rt.ctx.withStage("test"));
  assert.equal(summary.test_before, others.mean);
  assert.equal(summary.test_after, others.mean);

  const onDisk = JSON.parse(fs.readFileSync(path.join(dir, "result.json"), "utf8")) as OptimizeSummary;
  assert.deepEqual(onDisk.failures, summary.failures);
  const baseline = JSON.parse(fs.readFileSync(path.join(dir, "baseline.json"), "utf8")) as { test_before: number; failures: unknown };
  assert.deepEqual(baseline.failures, counted);
  const row = readResultRow({ system: "toy", method: "unoptimized", seed: 0, world: 0, settings: {}, notApplicable: null, dir }, path.dirname(dir));
  assert.equal(row.failed_runs, 2 * TEST_PASSES);
  assert.equal(row.parse_failures, summary.parse_failures);
});
