/**
 * figures/index.html (repro/figures.ts): the headline first, sections with headings and text, links
 * to summary.md and results.csv, Optimas highlighted, the ablations apart from the baselines, and
 * the paper's gains labelled second-hand.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { aggregateSuite } from "../src/repro/aggregate";
import { FIGURE_SECTIONS, figuresPage, suiteFigures } from "../src/repro/figures";
import { loadPaperFigures, paperGain } from "../src/repro/paper";
import type { ResultRow } from "../src/repro/results";
import { standaloneHtml } from "../src/display/plot";

const METHODS = [
  { id: "unoptimized", title: "Unoptimized", role: "baseline" as const },
  { id: "textgrad", title: "TextGrad", role: "baseline" as const },
  { id: "opro", title: "OPRO", role: "extra-baseline" as const },
  { id: "optimas", title: "Optimas", role: "optimas" as const },
  { id: "optimas-no-gate", title: "no gate", role: "ablation" as const },
];

function row(system: string, method: string, world: number, test: number): ResultRow {
  return {
    system, method, seed: 0, world, settings: "", status: "finished", test_mean: test, test_std: 0, test_before: 0.3, val_before: null, val_after: null, system_runs: 100 + world, llm_calls: 10, tokens: 100, cost_usd: 0,
    test_system_runs: 1, test_llm_calls: 1, test_tokens: 1, test_cost_usd: 0, test_se: 0, test_passes: 5, meta_model: null, judge_model: null, lrf_pair_accuracy: null, judge_pair_accuracy: null,
    iterations: 1, accepted: 1, failed_runs: 0, parse_failures: 0, wall_s: 1, backend: "simlm", tf_backend: null, test_at_caps: "", run_dir: "", note: "",
  };
}

const SYSTEMS = ["amazon", "stark"];
const ROWS = SYSTEMS.flatMap((s, i) => [0, 1].flatMap((w) => METHODS.map((m, j) => row(s, m.id, w, 0.2 + 0.1 * j + 0.05 * i + 0.01 * w))));
const agg = aggregateSuite({ rows: ROWS, systems: SYSTEMS, methods: METHODS, seeds: [0], worlds: [0, 1], paperSystems: new Set(SYSTEMS), bootstrapSeed: "figures", resamples: 200 });
const paper = loadPaperFigures();
const figures = suiteFigures(agg, ROWS, paper, "note");

test("the page: a title, links to summary.md and results.csv, then the sections in order with the headline first", () => {
  const html = standaloneHtml('Suite "t"', figuresPage('Suite "t"', figures));
  assert.match(html, /<h1>Suite "t": figures<\/h1>/);
  assert.match(html, /<a href="\.\.\/summary\.md">summary\.md<\/a>/);
  assert.match(html, /<a href="\.\.\/results\.csv">results\.csv<\/a>/);
  const headings = [...html.matchAll(/<h2 id="(\w+)">/g)].map((m) => m[1]);
  assert.deepEqual(headings, Object.keys(FIGURE_SECTIONS).filter((s) => s !== "budget"), "no caps in this suite: no budget section");
  assert.equal(headings[0], "headline");
  assert.equal(figures[0]!.name, "gain-vs-paper");
  const headline = html.indexOf('class="headline"');
  assert.ok(headline > html.indexOf('<h2 id="headline">') && headline < html.indexOf('<h2 id="comparison">'));
  assert.match(html, new RegExp(`average gain over the paper's baselines: \\+${(100 * agg.headline.gain!).toFixed(2)}%`));
  assert.equal((html.match(/<div id="fig\d+"/g) ?? []).length, figures.length);
});

test("Optimas is highlighted and the ablations are apart from the baselines", () => {
  const traces = (name: string) => figures.find((f) => f.name === name)!.fig.data as { name: string; marker: { color: string; line: { width: number } } }[];
  const comparison = traces("scores");
  assert.deepEqual(comparison.map((t) => t.name), ["unoptimized", "textgrad", "opro", "optimas"]);
  const optimas = comparison.find((t) => t.name === "optimas")!;
  assert.ok(optimas.marker.line.width > 0 && comparison.filter((t) => t !== optimas).every((t) => t.marker.line.width === 0 && t.marker.color !== optimas.marker.color));
  assert.deepEqual(traces("scores-ablations").map((t) => t.name), ["optimas", "optimas-no-gate (ablation)"]);
  assert.ok(figures.filter((f) => f.section === "ablations").every((f) => f.name !== "scores"));
});

test("the gain figure shows the paper's gains labelled second-hand, from paper.json", () => {
  const data = figures.find((f) => f.name === "gain-vs-paper")!.fig.data as { name: string; y: (number | null)[] }[];
  const paperBars = data.find((d) => /^paper/.test(d.name))!;
  assert.match(paperBars.name, /second-hand/);
  assert.deepEqual(paperBars.y, SYSTEMS.map((s) => 100 * paperGain(paper, s)!));
});
