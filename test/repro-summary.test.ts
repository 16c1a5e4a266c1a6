import { test } from "node:test";
import assert from "node:assert/strict";
import { aggregateSuite, type AggregateInput } from "../src/repro/aggregate";
import { isSecondHand, loadPaperFigures, paperGain, parsePaperFigures, PAPER_FILE } from "../src/repro/paper";
import { RESULT_COLUMNS, resultsCsv, type ResultRow } from "../src/repro/results";
import { loadSuiteConfig, parseSuiteConfig, resolveSuite } from "../src/repro/suite-config";
import { summaryMarkdown } from "../src/repro/summary";
import { METHODS } from "../src/repro/methods";
import { availableSystems } from "../src/systems/registry";
import { bootstrapCi95, bootstrapStatisticCi95, mean } from "../src/core/stats";
import { createRng } from "../src/core/random";
import Papa from "papaparse";

function row(system: string, method: string, seed: number, world: number, test: number | null, testBefore = 0.3, status = "finished"): ResultRow {
  return {
    system, method, seed, world, settings: "", status, test_mean: test, test_std: test === null ? null : 0, test_before: test === null ? null : testBefore,
    val_before: null, val_after: null, system_runs: 100, llm_calls: 200, tokens: 1000, cost_usd: 0.01,
    test_system_runs: 20, test_llm_calls: 40, test_tokens: 100, test_cost_usd: 0.001, test_se: test === null ? null : 0, test_passes: 3, meta_model: "sim-l", judge_model: "sim-l",
    lrf_pair_accuracy: null,
    judge_pair_accuracy: null, iterations: 1, accepted: 0, failed_runs: 0, parse_failures: 0, wall_s: 1, backend: "simlm@1, world 0", tf_backend: "wasm", test_at_caps: "", run_dir: `runs/${system}/${method}`, note: "",
  };
}

const METHOD_INFOS = [
  { id: "optimas", title: "Optimas", role: "optimas" as const },
  { id: "optimas-no-gate", title: "ablation", role: "ablation" as const },
  { id: "textgrad", title: "TextGrad", role: "baseline" as const },
];

function input(rows: ResultRow[], overrides: Partial<AggregateInput> = {}): AggregateInput {
  return { rows, systems: ["amazon", "pubmedqa", "toy"], methods: METHOD_INFOS, seeds: [0], worlds: [0, 1], paperSystems: new Set(["amazon", "pubmedqa"]), bootstrapSeed: "test", ...overrides };
}

// amazon: Optimas 0.6 / 0.7 over the two units, TextGrad 0.5, the ablation scores higher than Optimas but is no baseline.
// pubmedqa: Optimas 0.44, TextGrad 0.4. toy: not a paper system.
const ROWS = [
  row("amazon", "optimas", 0, 0, 0.6), row("amazon", "optimas", 0, 1, 0.7),
  row("amazon", "optimas-no-gate", 0, 0, 0.9), row("amazon", "optimas-no-gate", 0, 1, 0.9),
  row("amazon", "textgrad", 0, 0, 0.5), row("amazon", "textgrad", 0, 1, 0.5),
  row("pubmedqa", "optimas", 0, 0, 0.44), row("pubmedqa", "optimas", 0, 1, 0.44),
  row("pubmedqa", "optimas-no-gate", 0, 0, 0.1), row("pubmedqa", "optimas-no-gate", 0, 1, 0.1),
  row("pubmedqa", "textgrad", 0, 0, 0.4), row("pubmedqa", "textgrad", 0, 1, 0.4),
  row("toy", "optimas", 0, 0, 0.9, 0.1), row("toy", "optimas", 0, 1, 0.9, 0.1),
  row("toy", "optimas-no-gate", 0, 0, null, 0, "n/a"), row("toy", "optimas-no-gate", 0, 1, null, 0, "n/a"),
  row("toy", "textgrad", 0, 0, null, 0, "pending"), row("toy", "textgrad", 0, 1, null, 0, "pending"),
];

test("gain is (Optimas − best baseline) / best baseline on run means; ablations are never the baseline", () => {
  const agg = aggregateSuite(input(ROWS));
  const amazon = agg.gains.find((g) => g.system === "amazon")!;
  assert.equal(amazon.bestBaseline!.method, "textgrad");
  assert.ok(Math.abs(amazon.optimas! - 0.65) < 1e-12);
  assert.ok(Math.abs(amazon.gain! - 0.3) < 1e-12);
  const pubmed = agg.gains.find((g) => g.system === "pubmedqa")!;
  assert.ok(Math.abs(pubmed.gain! - 0.1) < 1e-12);
  // toy: the only baseline with results is the unoptimized system derived from test_before (0.1).
  const toy = agg.gains.find((g) => g.system === "toy")!;
  assert.equal(toy.bestBaseline!.method, "unoptimized");
  assert.ok(Math.abs(toy.gain! - 8) < 1e-12);
  assert.equal(toy.inHeadline, false, "toy is not one of the paper's systems");
  // Headline: mean of the paper systems' gains only.
  assert.deepEqual(agg.headline.systems, ["amazon", "pubmedqa"]);
  assert.ok(Math.abs(agg.headline.gain! - 0.2) < 1e-12);
});

test("extra baselines enter only the all-baselines comparison; the paper's comparison keeps the paper's set", () => {
  const methods = [...METHOD_INFOS, { id: "mipro-demos", title: "MIPRO + demos", role: "extra-baseline" as const }];
  const rows = [...ROWS, row("amazon", "mipro-demos", 0, 0, 0.8), row("amazon", "mipro-demos", 0, 1, 0.8), row("pubmedqa", "mipro-demos", 0, 0, 0.2), row("pubmedqa", "mipro-demos", 0, 1, 0.2)];
  const agg = aggregateSuite(input(rows, { methods }));
  const amazon = (c: { gains: { system: string; bestBaseline: { method: string } | null; gain: number | null }[] }) => c.gains.find((g) => g.system === "amazon")!;
  assert.equal(amazon(agg).bestBaseline!.method, "textgrad");
  assert.ok(Math.abs(amazon(agg).gain! - 0.3) < 1e-12);
  assert.equal(amazon(agg.allBaselines).bestBaseline!.method, "mipro-demos");
  assert.ok(Math.abs(amazon(agg.allBaselines).gain! - (0.65 - 0.8) / 0.8) < 1e-12);
  // pubmedqa: the extra scores lower than TextGrad, so both comparisons pick TextGrad (gain 0.1).
  assert.ok(Math.abs(agg.headline.gain! - 0.2) < 1e-12);
  assert.ok(Math.abs(agg.allBaselines.headline.gain! - ((0.65 - 0.8) / 0.8 + 0.1) / 2) < 1e-12);
  assert.deepEqual(aggregateSuite(input(ROWS)).allBaselines.gains, aggregateSuite(input(ROWS)).gains, "without extras the two comparisons agree");
});

test("the headline interval resamples (seed, world) units and re-picks the best baseline each time", () => {
  const agg = aggregateSuite(input(ROWS));
  // Two units: a resample holds unit 0 twice (p=1/4), both (1/2) or unit 1 twice (1/4), so
  // amazon's gain is 0.2, 0.3 or 0.4 and the headline 0.15, 0.2 or 0.25.
  const [lo, hi] = agg.headline.ci!;
  assert.ok(Math.abs(lo - 0.15) < 1e-12 && Math.abs(hi - 0.25) < 1e-12, `got [${lo}, ${hi}]`);
  assert.deepEqual(aggregateSuite(input(ROWS)).headline, agg.headline, "same seed, same interval");
  assert.equal(aggregateSuite(input(ROWS.filter((r) => r.world === 0), { worlds: [0] })).headline.ci, null, "one unit gives no interval");
});

test("the unoptimized row is derived from test_before only when no method is called unoptimized", () => {
  const derived = aggregateSuite(input(ROWS));
  assert.equal(derived.methods[0]!.id, "unoptimized");
  assert.equal(derived.methods[0]!.derived, true);
  assert.ok(Math.abs(derived.table.amazon!.unoptimized!.mean! - 0.3) < 1e-12);
  const withMethod = [...ROWS, row("amazon", "unoptimized", 0, 0, 0.55), row("amazon", "unoptimized", 0, 1, 0.55)];
  const own = aggregateSuite(input(withMethod, { methods: [...METHOD_INFOS, { id: "unoptimized", title: "Unoptimized", role: "baseline" }] }));
  assert.equal(own.methods.filter((m) => m.id === "unoptimized").length, 1);
  assert.equal(own.methods.find((m) => m.id === "unoptimized")!.derived, false);
  assert.equal(own.gains.find((g) => g.system === "amazon")!.bestBaseline!.method, "unoptimized");
});

test("cells report n/a, pending and mean ± t interval over runs", () => {
  const agg = aggregateSuite(input(ROWS));
  assert.equal(agg.table.toy!["optimas-no-gate"]!.notApplicable, true);
  assert.equal(agg.table.toy!.textgrad!.mean, null);
  assert.equal(agg.table.toy!.textgrad!.notApplicable, false);
  const amazon = agg.table.amazon!.optimas!;
  assert.equal(amazon.n, 2);
  assert.ok(Math.abs(amazon.ci95 - (12.706 * Math.sqrt(0.005)) / Math.sqrt(2)) < 1e-9);
});

test("the generic bootstrap draws exactly as the mean bootstrap does", () => {
  const xs = [0.1, 0.5, 0.2, 0.9, 0.4];
  const a = bootstrapCi95(xs, createRng("b"), 500);
  const b = bootstrapStatisticCi95(xs.length, (idx) => mean(idx.map((i) => xs[i]!)), createRng("b"), 500);
  assert.deepEqual(a, b);
  assert.deepEqual(bootstrapStatisticCi95(3, () => Number.NaN, createRng("c"), 10).map(Number.isNaN), [true, true]);
});

test("method roles: Optimas, its three ablations, the paper's baselines and this project's two extras", () => {
  const byRole = (role: string) => METHODS.filter((m) => m.role === role).map((m) => m.id);
  assert.deepEqual(byRole("optimas"), ["optimas"]);
  assert.deepEqual(byRole("ablation"), ["optimas-no-adapt", "optimas-judge", "optimas-no-gate"]);
  assert.ok(METHODS.filter((m) => m.role === "ablation").every((m) => m.source.startsWith("ablation:")));
  assert.deepEqual(byRole("baseline"), ["unoptimized", "reinforce", "llmselector", "hbc", "textgrad", "mipro"]);
  assert.deepEqual(byRole("extra-baseline"), ["mipro-demos", "opro"]);
});

test("paper.json: the verified headline; per-system values second-hand with their source, null where not found", () => {
  const paper = loadPaperFigures();
  assert.equal(paper.headline.averageImprovementPercent, 11.92);
  assert.match(paper.headline.source, /2507\.03041/);
  assert.match(paper.headline.source, /abstract/);
  assert.equal(paper.headline.secondHand, false);
  assert.deepEqual(Object.keys(paper.systems).sort(), ["amazon", "bigcodebench", "hotpotqa", "pubmedqa", "stark"]);
  for (const [id, s] of Object.entries(paper.systems)) {
    assert.equal(s.secondHand, true, `${id}: the only copy found is second-hand`);
    assert.match(s.source, /paper-numbers\.md/, id);
    for (const m of ["REINFORCE", "LLMSelector", "Hierarchical Behavior Cloning"]) assert.equal(s.values[m], null, `${id} ${m}: not found, stays null`);
    assert.equal(typeof s.values[paper.optimasMethod], "number", id);
  }
  assert.ok(isSecondHand(paper));
  // The consistency check of paper-numbers.md: the reported gains average the abstract's headline.
  const reported = Object.keys(paper.systems).map((s) => 100 * paperGain(paper, s)!);
  assert.ok(Math.abs(mean(reported) - paper.headline.averageImprovementPercent) < 0.005, `reported gains average ${mean(reported)}`);
});

test("paper gains: the reported gain first, else the protocol's rule only when every baseline is known; bad files name the field", () => {
  const paper = loadPaperFigures();
  const filled = structuredClone(paper);
  const amazon = filled.systems.amazon!;
  amazon.reportedGainPercent = null;
  assert.equal(paperGain(filled, "amazon"), null, "with a baseline missing, the best baseline may be the missing one");
  amazon.values = Object.fromEntries(paper.methods.map((m) => [m, 20]));
  amazon.values = { ...amazon.values, TextGrad: 25, Optimas: 30 };
  assert.ok(Math.abs(paperGain(filled, "amazon")! - 0.2) < 1e-12);
  assert.equal(paperGain(filled, "toy"), null);
  const broken = structuredClone(paper) as unknown as { systems: { amazon: { values: Record<string, unknown>; secondHand?: unknown } } };
  broken.systems.amazon.values.Optimas = "30";
  assert.throws(() => parsePaperFigures(broken, PAPER_FILE), /paper\.json: field "systems\.amazon\.values\.Optimas" must be a number or null/);
  delete broken.systems.amazon.secondHand;
  assert.throws(() => parsePaperFigures(broken, PAPER_FILE), /field "systems\.amazon\.secondHand" must say whether the values are second-hand/);
});

test("shipped suites: quick is every system and method at seed 0, world 0; paper is 3 seeds × worlds 0–2", () => {
  const quick = resolveSuite(loadSuiteConfig("quick"));
  assert.deepEqual(quick.systems, availableSystems());
  assert.deepEqual(quick.methods, METHODS.map((m) => m.id));
  assert.deepEqual([quick.seeds, quick.worlds, quick.preset], [[0], [0], "quick"]);
  const paper = resolveSuite(loadSuiteConfig("paper"));
  assert.deepEqual([paper.seeds.length, paper.worlds, paper.preset], [3, [0, 1, 2], "paper"]);
  assert.deepEqual(paper.methods, METHODS.map((m) => m.id));
});

test("suite files and overrides fail with one line naming the file or flag and the field", () => {
  const good = { name: "mini", systems: ["toy"], methods: "all", seeds: [0], worlds: [0], preset: "quick" };
  assert.throws(() => parseSuiteConfig({ ...good, preset: "fast" }, "s.json"), /^Error: s\.json: field "preset" must be "quick" or "paper"$/);
  assert.throws(() => parseSuiteConfig({ ...good, seeds: [0, 0] }, "s.json"), /field "seeds" lists a value twice/);
  assert.throws(() => parseSuiteConfig({ ...good, seed: [0] }, "s.json"), /field "seed" is not a suite field/);
  assert.throws(() => resolveSuite(parseSuiteConfig(good, "s.json"), { methods: ["nope"] }), /--methods: unknown method "nope"/);
  assert.throws(() => loadSuiteConfig("no-such-suite"), /no such suite \(shipped suites: .*quick/);
});

test("results.csv has the fixed columns, empty cells for missing values and quoted text", () => {
  const csv = resultsCsv([row("toy", "optimas", 0, 0, 0.25), { ...row("toy", "optimas-no-gate", 0, 0, null, 0, "n/a"), note: 'no "prompt", sorry' }]);
  const parsed = Papa.parse<string[]>(csv.trim());
  assert.deepEqual(parsed.data[0], [...RESULT_COLUMNS]);
  const na = Object.fromEntries(RESULT_COLUMNS.map((c, i) => [c, parsed.data[2]![i]]));
  assert.equal(na.status, "n/a");
  assert.equal(na.test_mean, "");
  assert.equal(na.note, 'no "prompt", sorry');
  assert.equal(Object.fromEntries(RESULT_COLUMNS.map((c, i) => [c, parsed.data[1]![i]])).test_mean, "0.25");
});

test("summary.md labels surrogate results, shows the paper's headline and n/a for missing paper values", () => {
  const rows = [row("toy", "optimas", 0, 0, 0.4, 0.2), row("toy", "textgrad", 0, 0, 0.3, 0.2)];
  const suite = resolveSuite({ name: "mini", description: "", systems: ["toy"], methods: ["optimas"], seeds: [0], worlds: [0], preset: "quick", backend: "simlm" });
  const agg = aggregateSuite(input(rows, { systems: ["toy"], worlds: [0] }));
  const md = summaryMarkdown({ suite, agg, rows, paper: loadPaperFigures(), sources: {}, figures: { html: "figures/index.html", pngs: [], pngNotice: "PNG figures skipped: chromium not found" }, interrupted: false });
  assert.match(md, /Surrogate results, not the paper's numbers/);
  assert.match(md, /SimLM simlm@\d+, a seeded surrogate model \(not a language model\); worlds 0/);
  assert.match(md, /the paper reports \*\*11\.92%\*\*/);
  assert.match(md, /Average gain over the paper's systems: \*\*n\/a\*\*/);
  assert.match(md, /\| method \| amazon \(accuracy, second-hand\) \|/);
  assert.match(md, /\| REINFORCE \| n\/a \| n\/a \| n\/a \| n\/a \| n\/a \|/);
  assert.match(md, /\| paper gain \(second-hand\) \|/);
  assert.match(md, /- amazon \(second-hand\): papernotes/);
  assert.match(md, /\| toy \| 0\.4000 \| textgrad 0\.3000 \| \+33\.33% \|/);
  assert.match(md, /PNG figures skipped: chromium not found/);
});
