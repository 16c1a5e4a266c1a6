import * as path from "node:path";
import * as aq from "arquero";
import { mean, ci95 } from "../core/stats";
import { renderPngs, writeHtml, type Figure, type PagePart } from "../display/plot";
import { gainFigure, scoresFigure, type GainAverages, type GainRow, type ScoreRow } from "../display/charts";
import { headlineAggregate, type MethodInfo, type SuiteAggregate } from "./aggregate";
import { paperGain, isSecondHand, type PaperFigures } from "./paper";
import { hasResult, type ResultRow } from "./results";

/**
 * The suite's figures as Plotly data, and figures/index.html: one self-contained page with the
 * headline first, then Optimas against the baselines, quality against budget and the ablations
 * apart, each section with a short explanation; PNGs when chromium exists.
 */

/** The page's sections, in page order. */
export const FIGURE_SECTIONS = {
  headline: {
    heading: "Headline: gain of Optimas over the best baseline",
    text: "gain = (Optimas − best baseline) / best baseline on the test metric, per system and averaged over the paper's systems, as the paper computes its 11.92%. Error bars: 95% bootstrap intervals over (seed, world) units. The paper's per-system gains are second-hand where marked.",
  },
  comparison: {
    heading: "Optimas against the baselines",
    text: "Test metric per system, mean ± 95% CI over seeds × worlds. Optimas in red with a dark outline; the paper's baselines and this project's extra baselines in other colours.",
  },
  budget: {
    heading: "Quality against budget",
    text: "Each method's incumbent at each system-run cap, test-scored (a rollout over k of a system's n components costs k/n of a run). Every method runs to the same cap; Optimas is the thick red line.",
  },
  ablations: {
    heading: "Ablations of Optimas",
    text: "Optimas beside its ablations (no LRF adaptation, an LLM judge instead of the learned reward, no validation gate), apart from the baselines; then the LRF's pair-ranking accuracy against the LLM judge's on the same held-out pairs.",
  },
  runs: {
    heading: "Every run: test metric against system runs spent",
    text: "One point per (seed, world) run: what each method spent and what it reached.",
  },
} as const;

export type FigureSection = keyof typeof FIGURE_SECTIONS;

export interface NamedFigure {
  name: string;
  fig: Figure;
  section: FigureSection;
  /** A line shown above the figure on the page (the headline's numbers). */
  caption?: string;
}

const OPTIMAS_COLOR = "#d62728";
// Plotly's default colorway has 10 colours; suites have more methods than that. Red is Optimas's alone.
const COLORWAY = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#ad494a", "#637939", "#e7ba52"];
const SYMBOLS = ["circle", "square", "diamond", "triangle-up", "cross", "x", "star", "triangle-down", "pentagon", "hexagon", "hourglass", "bowtie", "triangle-left", "triangle-right"];

/** Each method's look, the same in every figure: Optimas red and larger, ablations dashed, the others by their place in the suite. */
function methodStyles(methods: readonly MethodInfo[]): Map<string, { color: string; symbol: string; width: number; size: number; dash: string }> {
  let other = 0;
  return new Map(
    methods.map((m, i) => {
      const optimas = m.role === "optimas";
      const color = optimas ? OPTIMAS_COLOR : COLORWAY[other++ % COLORWAY.length]!;
      return [m.id, { color, symbol: SYMBOLS[i % SYMBOLS.length]!, width: optimas ? 4 : 1.5, size: optimas ? 13 : 9, dash: m.role === "ablation" ? "dash" : "solid" }];
    }),
  );
}

function layout(title: string, yTitle: string, xTitle?: string): Record<string, unknown> {
  return {
    title: { text: title },
    colorway: COLORWAY,
    yaxis: { title: { text: yTitle }, zeroline: true },
    ...(xTitle ? { xaxis: { title: { text: xTitle } } } : {}),
    barmode: "group",
    legend: { orientation: "h", y: -0.2 },
    margin: { t: 80 },
  };
}

/** Test metric per system with intervals (display/charts.ts: Optimas highlighted, ablations in a panel of their own). */
function scoresOf(agg: SuiteAggregate, name: string, section: FigureSection, roles: readonly MethodInfo["role"][]): NamedFigure {
  const rows: ScoreRow[] = agg.methods
    .filter((m) => roles.includes(m.role))
    .flatMap((m) => agg.systems.map((system) => ({ system, method: m.id, role: m.role, mean: agg.table[system]![m.id]!.mean, ci95: agg.table[system]![m.id]!.ci95 })));
  const fig = scoresFigure(rows, "metric");
  // With ablations, charts.ts puts Optimas alone in the left panel.
  if (section === "ablations") (fig.layout!.xaxis as { title: { text: string } }).title.text = "Optimas";
  return { name, section, fig };
}

/** Test metric against global system runs spent, one point per run (sample efficiency). */
function sampleEfficiencyFigure(system: string, rows: readonly ResultRow[], agg: SuiteAggregate): NamedFigure {
  const styles = methodStyles(agg.methods);
  const data = agg.methods.flatMap((m) => {
    const runs = rows.filter((r) => r.system === system && r.method === m.id && hasResult(r) && r.system_runs !== null);
    if (runs.length === 0) return [];
    const style = styles.get(m.id)!;
    return [{
      type: "scatter",
      mode: "markers",
      name: m.id,
      x: runs.map((r) => r.system_runs),
      y: runs.map((r) => r.test_mean),
      text: runs.map((r) => `seed ${r.seed}, world ${r.world}`),
      marker: { size: style.size, color: style.color, symbol: style.symbol },
    }];
  });
  return { name: `sample-efficiency-${system}`, section: "runs", fig: { data, layout: layout(`${system}: test metric against system runs spent`, "test metric", "global system runs spent (optimization budget)") } };
}

/** Quality against budget: each method's incumbent at each system-run cap, mean ± 95% CI over seeds × worlds. */
function budgetCurveFigure(agg: SuiteAggregate, system: string): NamedFigure {
  const caps = agg.atCaps.map((c) => c.cap);
  const styles = methodStyles(agg.methods);
  const data = agg.methods.flatMap((m) => {
    const stats = agg.atCaps.map((c) => c.table[system]![m.id]!);
    if (stats.every((c) => c.mean === null)) return [];
    const style = styles.get(m.id)!;
    return [{
      type: "scatter",
      mode: "lines+markers",
      name: m.id,
      x: caps,
      y: stats.map((c) => c.mean),
      error_y: { type: "data", array: stats.map((c) => c.ci95), visible: true },
      marker: { size: style.size, color: style.color, symbol: style.symbol },
      line: { color: style.color, width: style.width, dash: style.dash },
    }];
  });
  return { name: `budget-${system}`, section: "budget", fig: { data, layout: layout(`${system}: test metric of the incumbent at each system-run cap (mean ± 95% CI over seeds × worlds)`, "test metric", "system-run cap (k of n components = k/n of a run)") } };
}

/** LRF against the LLM judge on the same held-out pairs (the judge ablation's runs). */
function lrfVsJudgeFigure(agg: SuiteAggregate, rows: readonly ResultRow[]): NamedFigure {
  const measured = rows.filter((r) => r.judge_pair_accuracy !== null && r.lrf_pair_accuracy !== null);
  const bySystem = aq
    .from(measured, ["system", "lrf_pair_accuracy", "judge_pair_accuracy"])
    .groupby("system")
    .rollup({ lrf: aq.op.array_agg("lrf_pair_accuracy"), judge: aq.op.array_agg("judge_pair_accuracy") })
    .objects() as { system: string; lrf: number[]; judge: number[] }[];
  const series = (name: string, column: "lrf" | "judge") => {
    const values = agg.systems.map((s) => bySystem.find((r) => r.system === s)?.[column] ?? []);
    return { type: "bar", name, x: agg.systems, y: values.map((xs) => (xs.length > 0 ? mean(xs) : null)), error_y: { type: "data", array: values.map(ci95), visible: true } };
  };
  return {
    name: "lrf-vs-judge",
    section: "ablations",
    fig: {
      data: [series("LRF (learned local reward)", "lrf"), series("LLM judge (judge ablation's local reward)", "judge")],
      layout: { ...layout("Pair-ranking accuracy on held-out preference pairs", "pair accuracy (tie = 0.5)"), shapes: [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: 0.5, y1: 0.5, line: { dash: "dot", color: "gray" } }] },
    },
  };
}

/** Each system's gains beside the paper's (reproductions/paper.json), as the gain figure and the notebooks' gain table show them. */
export function gainRows(agg: SuiteAggregate, paper: PaperFigures): GainRow[] {
  return agg.gains.map((g, i) => ({ system: g.system, gain: g.gain, ci: g.ci, gainAllBaselines: agg.allBaselines.gains[i]!.gain, paper: paperGain(paper, g.system) }));
}

/** The suite's average gain and the paper's headline, labelled with where the paper's per-system gains come from. */
export function gainAverages(agg: SuiteAggregate, paper: PaperFigures): GainAverages {
  return { suite: agg.headline.gain, paperPercent: paper.headline.averageImprovementPercent, paperLabel: `paper${isSecondHand(paper) ? ", second-hand" : ""} (reproductions/paper.json)` };
}

/** The gain of Optimas per system against the paper's (display/charts.ts), at the headline cap, with the headline's numbers as its caption (summary.md's). */
function gainFigureOf(full: SuiteAggregate, paper: PaperFigures, headlineCap: number | undefined): NamedFigure {
  const { cap, agg } = headlineAggregate(full, headlineCap);
  const signed = (v: number) => `${v >= 0 ? "+" : ""}${(100 * v).toFixed(2)}%`;
  const ci = agg.headline.ci ? ` (95% bootstrap CI ${signed(agg.headline.ci[0])} to ${signed(agg.headline.ci[1])})` : "";
  const ours = agg.headline.gain === null ? "no paper system with a defined gain in this suite" : `${signed(agg.headline.gain)}${ci} over ${agg.headline.systems.join(", ")}`;
  return {
    name: "gain-vs-paper",
    section: "headline",
    caption: `${cap === null ? "This suite's" : `At the ${cap.toLocaleString("en-US")}-system-run cap, this suite's`} average gain over the paper's baselines: ${ours}. The paper reports ${paper.headline.averageImprovementPercent}% (its abstract).`,
    fig: gainFigure(gainRows(agg, paper), gainAverages(agg, paper)),
  };
}

/** Every figure of a suite; `backendNote` ("SimLM surrogate results, not the paper's numbers") subtitles each. */
export function suiteFigures(agg: SuiteAggregate, rows: readonly ResultRow[], paper: PaperFigures, backendNote: string, headlineCap?: number): NamedFigure[] {
  const curves = agg.atCaps.length > 0 ? agg.systems.map((s) => budgetCurveFigure(agg, s)) : [];
  const figures = [
    gainFigureOf(agg, paper, headlineCap),
    scoresOf(agg, "scores", "comparison", ["optimas", "baseline", "extra-baseline"]),
    ...curves,
    ...(agg.methods.some((m) => m.role === "ablation") ? [scoresOf(agg, "scores-ablations", "ablations", ["optimas", "ablation"])] : []),
    lrfVsJudgeFigure(agg, rows),
    ...agg.systems.map((s) => sampleEfficiencyFigure(s, rows, agg)),
  ];
  for (const { fig } of figures) {
    const title = fig.layout!.title as { text: string };
    title.text = `${title.text}<br><sub>${backendNote}</sub>`;
  }
  return figures;
}

export interface FiguresOutcome {
  html: string;
  pngs: string[];
  /** Why PNGs are missing (chromium absent, or not asked for); null when they were written. */
  pngNotice: string | null;
}

const escapeHtml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** figures/index.html's parts: a title, what the page shows with links to the suite's files, then each section's heading, text and figures. */
export function figuresPage(title: string, figures: readonly NamedFigure[]): PagePart[] {
  const intro: PagePart = {
    html: [
      `<h1>${escapeHtml(title)}: figures</h1>`,
      "<p>The comparison of the Optimas paper (arXiv 2507.03041) as this suite ran it: the headline first, then Optimas against the baselines, quality against budget, and the ablations apart. Each figure's subtitle says where its numbers come from.</p>",
      '<p>Numbers behind the figures: <a href="../summary.md">summary.md</a> (tables, the gain at each cap, failures, budgets) and <a href="../results.csv">results.csv</a> (one row per run).</p>',
    ].join("\n"),
  };
  const sections = (Object.keys(FIGURE_SECTIONS) as FigureSection[]).flatMap((id): PagePart[] => {
    const own = figures.filter((f) => f.section === id);
    if (own.length === 0) return [];
    const { heading, text } = FIGURE_SECTIONS[id];
    return [
      { html: `<h2 id="${id}">${escapeHtml(heading)}</h2>\n<p>${escapeHtml(text)}</p>` },
      ...own.flatMap((f): PagePart[] => [...(f.caption ? [{ html: `<p class="headline">${escapeHtml(f.caption)}</p>` }] : []), { fig: f.fig }]),
    ];
  });
  return [intro, ...sections];
}

export async function writeFigures(dir: string, title: string, figures: readonly NamedFigure[], png: boolean): Promise<FiguresOutcome> {
  // One page holds every figure, so the 4.8 MB Plotly bundle is inlined once.
  const html = path.join(dir, "index.html");
  writeHtml(html, title, figuresPage(title, figures));
  if (!png) return { html, pngs: [], pngNotice: "PNG figures not rendered (--no-png)" };
  const rendered = await renderPngs(figures.map((f) => ({ file: path.join(dir, `${f.name}.png`), fig: f.fig })));
  return "skipped" in rendered ? { html, pngs: [], pngNotice: `PNG figures skipped: ${rendered.skipped}` } : { html, pngs: rendered.written, pngNotice: null };
}
