import * as path from "node:path";
import * as aq from "arquero";
import { mean, ci95 } from "../core/stats";
import { renderPngs, writeHtml, type Figure } from "../display/plot";
import type { SuiteAggregate } from "./aggregate";
import { paperGain, isSecondHand, type PaperFigures } from "./paper";
import { hasResult, type ResultRow } from "./results";

/** The suite's figures as Plotly data: one self-contained HTML page, and PNGs when chromium exists. */

export interface NamedFigure {
  name: string;
  fig: Figure;
}

// Plotly's default colorway has 10 colours; suites have more methods than that.
const COLORWAY = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#ad494a", "#637939", "#e7ba52"];
const SYMBOLS = ["circle", "square", "diamond", "triangle-up", "cross", "x", "star", "triangle-down", "pentagon", "hexagon", "hourglass", "bowtie", "triangle-left", "triangle-right"];

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

function scoresFigure(agg: SuiteAggregate): NamedFigure {
  const data = agg.methods.map((m) => {
    const stats = agg.systems.map((s) => agg.table[s]![m.id]!);
    return {
      type: "bar",
      name: m.id,
      x: agg.systems,
      y: stats.map((c) => c.mean),
      error_y: { type: "data", array: stats.map((c) => c.ci95), visible: true },
    };
  });
  return { name: "scores", fig: { data, layout: layout("Test metric per system (mean ± 95% CI over seeds × worlds)", "test metric") } };
}

/** Test metric against global system runs spent, one point per run (sample efficiency). */
function sampleEfficiencyFigure(system: string, rows: readonly ResultRow[], methods: readonly string[]): NamedFigure {
  // Colour and symbol follow the method's place in the suite, so a method looks the same in every figure.
  const data = methods.flatMap((m, i) => {
    const runs = rows.filter((r) => r.system === system && r.method === m && hasResult(r) && r.system_runs !== null);
    if (runs.length === 0) return [];
    return [{
      type: "scatter",
      mode: "markers",
      name: m,
      x: runs.map((r) => r.system_runs),
      y: runs.map((r) => r.test_mean),
      text: runs.map((r) => `seed ${r.seed}, world ${r.world}`),
      marker: { size: 11, color: COLORWAY[i % COLORWAY.length], symbol: SYMBOLS[i % SYMBOLS.length] },
    }];
  });
  return { name: `sample-efficiency-${system}`, fig: { data, layout: layout(`${system}: test metric against system runs spent`, "test metric", "global system runs spent (optimization budget)") } };
}

/** Quality against budget: each method's incumbent at each system-run cap, mean ± 95% CI over seeds × worlds. */
function budgetCurveFigure(agg: SuiteAggregate, system: string): NamedFigure {
  const caps = agg.atCaps.map((c) => c.cap);
  const data = agg.methods.flatMap((m, i) => {
    const stats = agg.atCaps.map((c) => c.table[system]![m.id]!);
    if (stats.every((c) => c.mean === null)) return [];
    return [{
      type: "scatter",
      mode: "lines+markers",
      name: m.id,
      x: caps,
      y: stats.map((c) => c.mean),
      error_y: { type: "data", array: stats.map((c) => c.ci95), visible: true },
      marker: { size: 9, color: COLORWAY[i % COLORWAY.length], symbol: SYMBOLS[i % SYMBOLS.length] },
      line: { color: COLORWAY[i % COLORWAY.length] },
    }];
  });
  return { name: `budget-${system}`, fig: { data, layout: layout(`${system}: test metric of the incumbent at each system-run cap (mean ± 95% CI over seeds × worlds)`, "test metric", "system-run cap (k of n components = k/n of a run)") } };
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
    fig: {
      data: [series("LRF (learned local reward)", "lrf"), series("LLM judge (judge ablation's local reward)", "judge")],
      layout: { ...layout("Pair-ranking accuracy on held-out preference pairs", "pair accuracy (tie = 0.5)"), shapes: [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: 0.5, y1: 0.5, line: { dash: "dot", color: "gray" } }] },
    },
  };
}

function gainFigure(agg: SuiteAggregate, paper: PaperFigures): NamedFigure {
  const pct = (v: number | null) => (v === null ? null : 100 * v);
  const paperGains = agg.systems.map((s) => pct(paperGain(paper, s)));
  const hline = (y: number, color: string) => ({ type: "line", xref: "paper", x0: 0, x1: 1, y0: y, y1: y, line: { dash: "dash", color } });
  const shapes = [hline(paper.headline.averageImprovementPercent, "black")];
  const annotations: Record<string, unknown>[] = [
    { xref: "paper", x: 1, xanchor: "right", y: paper.headline.averageImprovementPercent, text: `paper average ${paper.headline.averageImprovementPercent}% (abstract)`, showarrow: false, yshift: 10 },
  ];
  if (agg.headline.gain !== null) {
    shapes.push(hline(100 * agg.headline.gain, "firebrick"));
    annotations.push({ xref: "paper", x: 0, xanchor: "left", y: 100 * agg.headline.gain, text: `suite average ${(100 * agg.headline.gain).toFixed(2)}%`, showarrow: false, yshift: 10 });
  }
  const ticks = agg.systems.map((s, i) => (paperGains[i] === null ? `${s}<br>(paper: n/a)` : s));
  return {
    name: "gain-vs-paper",
    fig: {
      data: [
        {
          type: "bar",
          name: "this suite: Optimas over the best of the paper's baselines",
          x: agg.systems,
          y: agg.gains.map((g) => pct(g.gain)),
          error_y: { type: "data", symmetric: false, array: agg.gains.map((g) => (g.ci && g.gain !== null ? 100 * (g.ci[1] - g.gain) : 0)), arrayminus: agg.gains.map((g) => (g.ci && g.gain !== null ? 100 * (g.gain - g.ci[0]) : 0)), visible: true },
        },
        { type: "bar", name: "this suite: over the best of all baselines (extras included)", x: agg.systems, y: agg.allBaselines.gains.map((g) => pct(g.gain)) },
        { type: "bar", name: `paper${isSecondHand(paper) ? ", second-hand" : ""} (reproductions/paper.json)`, x: agg.systems, y: paperGains, marker: { color: "#aaaaaa", pattern: { shape: "/" } } },
      ],
      layout: { ...layout("Gain of Optimas over the best baseline, per system", "gain (%)"), xaxis: { tickvals: agg.systems, ticktext: ticks }, shapes, annotations },
    },
  };
}

/** Every figure of a suite; `backendNote` ("SimLM surrogate results, not the paper's numbers") subtitles each. */
export function suiteFigures(agg: SuiteAggregate, rows: readonly ResultRow[], paper: PaperFigures, backendNote: string): NamedFigure[] {
  const methods = agg.methods.map((m) => m.id);
  const curves = agg.atCaps.length > 0 ? agg.systems.map((s) => budgetCurveFigure(agg, s)) : [];
  const figures = [scoresFigure(agg), ...curves, ...agg.systems.map((s) => sampleEfficiencyFigure(s, rows, methods)), lrfVsJudgeFigure(agg, rows), gainFigure(agg, paper)];
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

export async function writeFigures(dir: string, title: string, figures: readonly NamedFigure[], png: boolean): Promise<FiguresOutcome> {
  // One page holds every figure, so the 4.8 MB Plotly bundle is inlined once.
  const html = path.join(dir, "index.html");
  writeHtml(html, title, figures.map((f) => f.fig));
  if (!png) return { html, pngs: [], pngNotice: "PNG figures not rendered (--no-png)" };
  const rendered = await renderPngs(figures.map((f) => ({ file: path.join(dir, `${f.name}.png`), fig: f.fig })));
  return "skipped" in rendered ? { html, pngs: [], pngNotice: `PNG figures skipped: ${rendered.skipped}` } : { html, pngs: rendered.written, pngNotice: null };
}
