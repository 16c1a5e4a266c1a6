/**
 * The suite verbs notebook 07 uses (repro/notebook-api.ts): the gain table and the gain figure beside
 * the paper's figures, the suite's numbers labelled surrogate on SimLM and the paper's second-hand.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { aggregateSuite } from "../src/repro/aggregate";
import { loadPaperFigures, paperGain } from "../src/repro/paper";
import type { ResultRow } from "../src/repro/results";
import type { ResolvedSuite } from "../src/repro/suite-config";
import { gainFigureOf, gainTable, type SuiteReport } from "../src/repro/notebook-api";

const METHODS = [
  { id: "hbc", title: "HBC", role: "baseline" as const },
  { id: "opro", title: "OPRO", role: "extra-baseline" as const },
  { id: "optimas", title: "Optimas", role: "optimas" as const },
];
const SYSTEMS = ["amazon", "stark"];

function row(system: string, method: string, test: number): ResultRow {
  return {
    system, method, seed: 0, world: 0, settings: "", status: "budget", test_mean: test, test_std: 0, test_before: 0.3, val_before: null, val_after: null, system_runs: 500, llm_calls: 10, tokens: 100, cost_usd: 0,
    test_system_runs: 1, test_llm_calls: 1, test_tokens: 1, test_cost_usd: 0, test_se: 0, test_passes: 3, meta_model: null, judge_model: null, lrf_pair_accuracy: null, judge_pair_accuracy: null,
    iterations: 1, accepted: 1, failed_runs: 0, parse_failures: 0, wall_s: 1, backend: "simlm", tf_backend: null, test_at_caps: "", run_dir: "", note: "",
  };
}

// amazon: Optimas 0.6 over hbc 0.5 (+20%), opro 0.55; stark: Optimas 0.9 under hbc 0.95, opro 1.0.
const ROWS = [row("amazon", "hbc", 0.5), row("amazon", "opro", 0.55), row("amazon", "optimas", 0.6), row("stark", "hbc", 0.95), row("stark", "opro", 1.0), row("stark", "optimas", 0.9)];
const paper = loadPaperFigures();
const agg = aggregateSuite({ rows: ROWS, systems: SYSTEMS, methods: METHODS, seeds: [0], worlds: [0], paperSystems: new Set(SYSTEMS), bootstrapSeed: "t" });
const report: SuiteReport = { dir: "/nowhere", suite: { name: "t", backend: "simlm" } as ResolvedSuite, rows: ROWS, agg, paper, backend: "SimLM surrogate results, not the paper's numbers" };

test("the gain table: per system and on average, the suite's gains labelled surrogate beside the paper's, second-hand, and its 11.92%", () => {
  const rows = gainTable(report);
  assert.deepEqual(rows.map((r) => r.system), ["amazon", "stark", "average (amazon, stark)"]);
  const ours = "gain, % (SimLM surrogate)";
  const theirs = "paper gain, % (second-hand)";
  assert.ok(Math.abs((rows[0]![ours] as number) - 20) < 1e-9);
  assert.ok(Math.abs((rows[1]![ours] as number) - (100 * (0.9 - 0.95)) / 0.95) < 1e-9);
  assert.ok(Math.abs((rows[2]![ours] as number) - (20 + (100 * (0.9 - 0.95)) / 0.95) / 2) < 1e-9);
  // OPRO is an extra baseline: it counts only in the all-baselines column.
  assert.ok(Math.abs((rows[1]!["gain over all baselines, %"] as number) - -10) < 1e-9);
  assert.equal(rows[0]!.best_baseline, "hbc 0.5000");
  assert.equal(rows[0]![theirs], 100 * paperGain(paper, "amazon")!);
  assert.equal(rows[2]![theirs], paper.headline.averageImprovementPercent);
  assert.equal(rows[2]![theirs], 11.92);
});

test("the gain figure: per-system bars (suite, all baselines, paper second-hand), the two averages as lines, subtitled with where the numbers come from", () => {
  const fig = gainFigureOf(report);
  const data = fig.data as { name: string; y: (number | null)[] }[];
  assert.deepEqual(data.map((d) => d.name), ["this suite: Optimas over the best of the paper's baselines", "this suite: over the best of all baselines (extras included)", "paper, second-hand (reproductions/paper.json)"]);
  assert.deepEqual(data[2]!.y, SYSTEMS.map((s) => 100 * paperGain(paper, s)!));
  const layout = fig.layout as { title: { text: string }; shapes: { y0: number }[] };
  assert.match(layout.title.text, /<sub>SimLM surrogate results, not the paper's numbers<\/sub>/);
  assert.deepEqual(layout.shapes.map((s) => s.y0), [11.92, 100 * agg.headline.gain!]);
});
