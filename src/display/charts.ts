import type { MethodRole } from "../core/method";
import type { TrajectoryRow } from "../core/trajectory";
import type { Figure } from "./plot";

/**
 * The figures notebooks show, from plain rows: quality against budget (trajectory.csv, one panel
 * per system), per-system scores with intervals (Optimas highlighted, ablations in a panel of their
 * own).
 */

const OPTIMAS_COLOR = "#d62728";
// Baselines in muted colours, so the highlighted Optimas stands out; ablations in greens.
const BASELINE_COLORS = ["#1f77b4", "#7f7f7f", "#8c564b", "#17becf", "#9467bd", "#bcbd22", "#393b79", "#e377c2"];
const ABLATION_COLORS = ["#2ca02c", "#98df8a", "#637939", "#b5cf6b"];

/** A colour per method, stable across figures: Optimas red, baselines and ablations in their own palettes. */
function colorsOf(methods: readonly { method: string; role: MethodRole }[]): Map<string, string> {
  const out = new Map<string, string>();
  let baseline = 0;
  let ablation = 0;
  for (const { method, role } of methods) {
    if (out.has(method)) continue;
    if (role === "optimas") out.set(method, OPTIMAS_COLOR);
    else if (role === "ablation") out.set(method, ABLATION_COLORS[ablation++ % ABLATION_COLORS.length]!);
    else out.set(method, BASELINE_COLORS[baseline++ % BASELINE_COLORS.length]!);
  }
  return out;
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

/** Axis ids of panel i (Plotly names the first "x"/"y", then "x2"/"y2", …). */
function axes(i: number): { x: string; y: string; xKey: string; yKey: string } {
  const n = i === 0 ? "" : String(i + 1);
  return { x: `x${n}`, y: `y${n}`, xKey: `xaxis${n}`, yKey: `yaxis${n}` };
}

function withSubtitle(title: string, subtitle?: string): { text: string } {
  return { text: subtitle ? `${title}<br><sub>${subtitle}</sub>` : title };
}

export interface TrajectoryCurve {
  system: string;
  method: string;
  role: MethodRole;
  /** A run's trajectory.csv rows (core/trajectory.ts). */
  trajectory: readonly TrajectoryRow[];
  /** Distinguishes runs of one method on one system (seed, world); shown on hover. */
  label?: string;
}

/**
 * Quality against budget: the incumbent's validation score after each step against the system runs
 * spent by then, one panel per system, a step line per run (a run keeps its incumbent until the
 * next accepted step).
 */
export function budgetCurvesFigure(curves: readonly TrajectoryCurve[], subtitle?: string): Figure {
  const systems = unique(curves.map((c) => c.system));
  const colors = colorsOf(curves);
  const shown = new Set<string>();
  const data = curves.map((c) => {
    const { x, y } = axes(systems.indexOf(c.system));
    const rows = c.trajectory.filter((r) => r.incumbent_val !== null);
    const first = !shown.has(c.method);
    shown.add(c.method);
    return {
      type: "scatter",
      mode: "lines+markers",
      name: c.method,
      legendgroup: c.method,
      showlegend: first,
      xaxis: x,
      yaxis: y,
      x: rows.map((r) => r.system_runs),
      y: rows.map((r) => r.incumbent_val),
      text: rows.map((r) => `${c.label ?? ""} step ${r.step}${r.accepted ? " (accepted)" : ""}`.trim()),
      line: { shape: "hv", color: colors.get(c.method), width: c.role === "optimas" ? 3 : 1.5 },
      marker: { size: 5, color: colors.get(c.method) },
    };
  });
  const layout: Record<string, unknown> = {
    title: withSubtitle("Quality against budget: the incumbent's validation score by system runs spent", subtitle),
    grid: { rows: 1, columns: systems.length, pattern: "independent" },
    legend: { orientation: "h", y: -0.25 },
    margin: { t: 90 },
    annotations: systems.map((s, i) => ({ text: `<b>${s}</b>`, showarrow: false, xref: `${axes(i).x} domain`, yref: `${axes(i).y} domain`, x: 0.5, y: 1.08 })),
  };
  systems.forEach((_, i) => {
    const { xKey, yKey } = axes(i);
    layout[xKey] = { title: { text: "system runs spent" } };
    layout[yKey] = { title: { text: i === 0 ? "incumbent validation score" : "" } };
  });
  return { data, layout };
}

export interface ScoreRow {
  system: string;
  method: string;
  role: MethodRole;
  mean: number | null;
  /** Half-width of the 95% interval (null: not measured). */
  ci95: number | null;
}

/**
 * Test scores per system with their 95% intervals: the comparison (Optimas and the baselines) in
 * the left panel, Optimas's ablations apart in the right one, Optimas in red with a dark outline.
 */
export function scoresFigure(rows: readonly ScoreRow[], metric: string, subtitle?: string): Figure {
  const systems = unique(rows.map((r) => r.system));
  const colors = colorsOf(rows);
  const hasAblations = rows.some((r) => r.role === "ablation");
  const methods = unique(rows.map((r) => r.method));
  const data = methods.map((m) => {
    const own = rows.filter((r) => r.method === m);
    const role = own[0]!.role;
    const panel = role === "ablation" ? axes(1) : axes(0);
    const at = (s: string) => own.find((r) => r.system === s);
    return {
      type: "bar",
      name: role === "ablation" ? `${m} (ablation)` : m,
      xaxis: panel.x,
      yaxis: panel.y,
      x: systems,
      y: systems.map((s) => at(s)?.mean ?? null),
      error_y: { type: "data", array: systems.map((s) => at(s)?.ci95 ?? null), visible: true },
      marker: { color: colors.get(m), line: role === "optimas" ? { color: "#000", width: 2 } : { width: 0 } },
    };
  });
  const layout: Record<string, unknown> = {
    title: withSubtitle(`Test ${metric} per system (mean ± 95% CI)`, subtitle),
    barmode: "group",
    legend: { orientation: "h", y: -0.25 },
    margin: { t: 90 },
    yaxis: { title: { text: `test ${metric}` } },
  };
  if (hasAblations) {
    layout.grid = { rows: 1, columns: 2, pattern: "independent" };
    layout.xaxis = { domain: [0, 0.62], title: { text: "Optimas against the baselines" } };
    layout.xaxis2 = { domain: [0.7, 1], title: { text: "Optimas's ablations" } };
    layout.yaxis2 = { matches: "y" };
  }
  return { data, layout };
}

export interface GainRow {
  system: string;
  /** Optimas over the best of the paper's baselines, a ratio (0.1192 = 11.92%); null: undefined. */
  gain: number | null;
  /** The 95% interval of `gain` (ratios); null: none. */
  ci: [number, number] | null;
  /** Optimas over the best of every baseline, this project's extras included; null: undefined. */
  gainAllBaselines: number | null;
  /** The paper's gain on this system (a ratio); null: not found. */
  paper: number | null;
}

export interface GainAverages {
  /** This suite's average gain over the paper's baselines (a ratio); null: none defined. */
  suite: number | null;
  /** The paper's average gain in percent (its abstract's 11.92). */
  paperPercent: number;
  /** The legend of the paper's bars, saying where they come from (and that they are second-hand). */
  paperLabel: string;
}

/**
 * Gain against the paper: per system, Optimas over the best of the paper's baselines (red, with
 * its interval), over every baseline, and the paper's gain (grey, hatched); the two averages as
 * dashed lines (the paper's from its abstract, this suite's in red). A system the paper gives no
 * gain for says "paper: n/a" under its name.
 */
export function gainFigure(rows: readonly GainRow[], averages: GainAverages, subtitle?: string): Figure {
  const pct = (v: number | null) => (v === null ? null : 100 * v);
  const systems = rows.map((r) => r.system);
  const hline = (y: number, color: string) => ({ type: "line", xref: "paper", x0: 0, x1: 1, y0: y, y1: y, line: { dash: "dash", color } });
  const shapes = [hline(averages.paperPercent, "black")];
  const annotations: Record<string, unknown>[] = [
    { xref: "paper", x: 1, xanchor: "right", y: averages.paperPercent, text: `paper average ${averages.paperPercent}% (abstract)`, showarrow: false, yshift: 10 },
  ];
  if (averages.suite !== null) {
    shapes.push(hline(100 * averages.suite, "firebrick"));
    annotations.push({ xref: "paper", x: 0, xanchor: "left", y: 100 * averages.suite, text: `suite average ${(100 * averages.suite).toFixed(2)}%`, showarrow: false, yshift: 10 });
  }
  const upper = (r: GainRow) => (r.ci && r.gain !== null ? 100 * (r.ci[1] - r.gain) : 0);
  const lower = (r: GainRow) => (r.ci && r.gain !== null ? 100 * (r.gain - r.ci[0]) : 0);
  return {
    data: [
      { type: "bar", name: "this suite: Optimas over the best of the paper's baselines", x: systems, marker: { color: OPTIMAS_COLOR }, y: rows.map((r) => pct(r.gain)), error_y: { type: "data", symmetric: false, array: rows.map(upper), arrayminus: rows.map(lower), visible: true } },
      { type: "bar", name: "this suite: over the best of all baselines (extras included)", x: systems, marker: { color: "#ff7f0e" }, y: rows.map((r) => pct(r.gainAllBaselines)) },
      { type: "bar", name: averages.paperLabel, x: systems, y: rows.map((r) => pct(r.paper)), marker: { color: "#aaaaaa", pattern: { shape: "/" } } },
    ],
    layout: {
      title: withSubtitle("Gain of Optimas over the best baseline, per system", subtitle),
      yaxis: { title: { text: "gain (%)" }, zeroline: true },
      xaxis: { tickvals: systems, ticktext: rows.map((r) => (r.paper === null ? `${r.system}<br>(paper: n/a)` : r.system)) },
      barmode: "group",
      legend: { orientation: "h", y: -0.2 },
      margin: { t: 80 },
      shapes,
      annotations,
    },
  };
}
