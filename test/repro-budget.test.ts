import { test } from "node:test";
import assert from "node:assert/strict";
import { aggregateSuite } from "../src/repro/aggregate";
import { loadPaperFigures } from "../src/repro/paper";
import { capScoresOf, rowsAtCap, type ResultRow } from "../src/repro/results";
import { loadSuiteConfig, parseSuiteConfig, resolveSuite } from "../src/repro/suite-config";
import { summaryMarkdown, terminalSummary } from "../src/repro/summary";
import { suiteFigures } from "../src/repro/figures";

/** Quality against budget: per-cap scores from results.csv, the gain at each cap, the headline at the stated cap. */

function row(system: string, method: string, world: number, atCaps: Record<number, number>): ResultRow {
  const caps = Object.keys(atCaps).map(Number);
  return {
    system, method, seed: 0, world, settings: "", status: "budget", test_mean: atCaps[Math.max(...caps)]!, test_std: 0, test_before: 0.3,
    val_before: null, val_after: null, system_runs: 1000, llm_calls: 200, tokens: 1000, cost_usd: 0.01,
    test_system_runs: 20, test_llm_calls: 40, test_tokens: 100, test_cost_usd: 0.001, test_se: 0, test_passes: 3, meta_model: "sim-l", judge_model: "sim-l",
    lrf_pair_accuracy: null, judge_pair_accuracy: null, iterations: 1, accepted: 0, failed_runs: 0, parse_failures: 0, wall_s: 1, backend: "simlm", tf_backend: null,
    test_at_caps: Object.entries(atCaps).map(([c, v]) => `${c}=${v}`).join(";"), run_dir: `runs/${system}/${method}`, note: "",
  };
}

// Amazon: Optimas trails TextGrad at 500 runs and leads it at 1,000.
const A = { optimas: { 500: 0.5, 1000: 0.6 }, textgrad: { 500: 0.55, 1000: 0.5 } };
const ROWS = [0, 1].flatMap((w) => [row("amazon", "optimas", w, A.optimas), row("amazon", "textgrad", w, A.textgrad)]);
const METHODS = [{ id: "optimas", title: "Optimas", role: "optimas" as const }, { id: "textgrad", title: "TextGrad", role: "baseline" as const }];
const gainAt = (cap: 500 | 1000) => (A.optimas[cap] - A.textgrad[cap]) / A.textgrad[cap];

function aggregate() {
  return aggregateSuite({ rows: ROWS, systems: ["amazon"], methods: METHODS, seeds: [0], worlds: [0, 1], paperSystems: new Set(["amazon"]), bootstrapSeed: "t", runCaps: [1000, 500] });
}

test("a row's score at a cap is its incumbent's there; a run without the cap has no result at it", () => {
  assert.deepEqual([...capScoresOf(ROWS[0]!)], [[500, 0.5], [1000, 0.6]]);
  assert.equal(rowsAtCap(ROWS, 500)[1]!.test_mean, 0.55);
  assert.equal(rowsAtCap(ROWS, 250)[0]!.test_mean, null);
});

test("the gain of Optimas over the best baseline is computed at each cap, ascending", () => {
  const agg = aggregate();
  assert.deepEqual(agg.atCaps.map((c) => c.cap), [500, 1000]);
  for (const c of agg.atCaps) {
    assert.ok(Math.abs(c.gains[0]!.gain! - gainAt(c.cap as 500 | 1000)) < 1e-12, `gain at ${c.cap}`);
    assert.ok(Math.abs(c.headline.gain! - gainAt(c.cap as 500 | 1000)) < 1e-12);
    assert.ok(Math.abs(c.table.amazon!.optimas!.mean! - A.optimas[c.cap as 500 | 1000]) < 1e-12);
  }
});

test("the summary states the gain at each cap and takes the headline at the stated cap; curves are drawn per system", () => {
  const agg = aggregate();
  const pct = (v: number) => `${v >= 0 ? "+" : ""}${(100 * v).toFixed(2)}%`;
  for (const headlineCap of [500, 1000] as const) {
    const suite = resolveSuite(parseSuiteConfig({ name: "mini", systems: ["toy"], methods: ["optimas"], seeds: [0], worlds: [0, 1], preset: "quick", runCaps: [500, 1000], headlineCap }, "mini.json"));
    const input = { suite: { ...suite, systems: ["amazon"] }, agg, rows: ROWS, paper: loadPaperFigures(), sources: {}, figures: null, interrupted: false };
    const md = summaryMarkdown(input);
    assert.match(md, /## Quality against budget/);
    for (const cap of [500, 1000] as const) assert.ok(md.includes(`| ${cap}${cap === headlineCap ? " (headline)" : ""} | ${pct(gainAt(cap))} |`), `gain row at ${cap}`);
    assert.ok(md.includes(`At the ${headlineCap.toLocaleString("en-US")}-system-run cap, average gain over the paper's baselines on the paper's systems (amazon): **${pct(gainAt(headlineCap))}**`), `headline at ${headlineCap}`);
    assert.ok(terminalSummary(input).includes(`At the ${headlineCap.toLocaleString("en-US")}-system-run cap`));
    assert.doesNotMatch(md, /## LRF fresh-pair accuracy/, "no Optimas run measured fresh pairs");
    const caption = suiteFigures(agg, ROWS, loadPaperFigures(), "note", headlineCap).find((f) => f.name === "gain-vs-paper")!.caption!;
    assert.ok(caption.startsWith(`At the ${headlineCap.toLocaleString("en-US")}-system-run cap, this suite's average gain over the paper's baselines: ${pct(gainAt(headlineCap))}`), `the figures page's headline is summary.md's: ${caption}`);
  }
  const fresh = [{ system: "amazon", component: "decider", runs: 2, pairs: 40, accuracy: 0.625 }, { system: "amazon", component: "profiler", runs: 2, pairs: 10, accuracy: 0.5 }];
  const withFresh = summaryMarkdown({ suite: resolveSuite(loadSuiteConfig("quick")), agg, rows: ROWS, paper: loadPaperFigures(), sources: {}, figures: null, interrupted: false, freshAccuracy: fresh });
  assert.ok(withFresh.includes("| amazon | decider | 2 | 40 | 0.6250 | 0.6000 |"), "per component, with the system's accuracy over all its pairs (25 + 5) / 50");
  const curve = suiteFigures(agg, ROWS, loadPaperFigures(), "note").find((f) => f.name === "budget-amazon")!;
  assert.deepEqual(curve.fig.data.map((d) => [d.name, d.x, d.y]), [["unoptimized", [500, 1000], [0.3, 0.3]], ["optimas", [500, 1000], [0.5, 0.6]], ["textgrad", [500, 1000], [0.55, 0.5]]]);
});

test("suite caps: the shipped suites declare theirs; a headline cap outside the caps is a one-line error", () => {
  assert.deepEqual([resolveSuite(loadSuiteConfig("quick")).runCaps, resolveSuite(loadSuiteConfig("quick")).headlineCap], [[500], 500]);
  assert.deepEqual([resolveSuite(loadSuiteConfig("paper")).runCaps, resolveSuite(loadSuiteConfig("paper")).headlineCap], [[250, 500, 1000], 1000]);
  const good = { name: "mini", systems: ["toy"], methods: "all", seeds: [0], worlds: [0], preset: "quick" };
  assert.throws(() => parseSuiteConfig({ ...good, runCaps: [500], headlineCap: 1000 }, "s.json"), /^Error: s\.json: field "headlineCap" must be one of "runCaps" \(500\)$/);
  assert.throws(() => parseSuiteConfig({ ...good, runCaps: [0] }, "s.json"), /field "runCaps" must list caps ≥ 1/);
});

test("--run-caps and --headline-cap replace the suite's caps; a headline outside them is a one-line error", () => {
  const paper = loadSuiteConfig("paper");
  const two = resolveSuite(paper, { runCaps: [2000, 500, 500] });
  assert.deepEqual([two.runCaps, two.headlineCap], [[500, 2000], 2000]);
  assert.equal(resolveSuite(paper, { runCaps: [500, 2000], headlineCap: 500 }).headlineCap, 500);
  assert.equal(resolveSuite(paper, { headlineCap: 500 }).headlineCap, 500, "the suite's own caps hold without --run-caps");
  assert.throws(() => resolveSuite(paper, { runCaps: [500], headlineCap: 1000 }), /^Error: --headline-cap 1000: must be one of the run caps \(500\)$/);
});
