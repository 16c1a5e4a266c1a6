import * as aq from "arquero";
import { systemAccuracy, type FreshAccuracyRow } from "./fresh-accuracy";
import { markdownTable, textTable, type Row } from "../display/table";
import { SIMLM_VERSION } from "../lm/sim/simlm";
import { getSystem } from "../systems/registry";
import { formatSettings } from "../systems/settings";
import { headlineAggregate, type CapAggregate, type CellStat, type Comparison, type SuiteAggregate, type SystemGain } from "./aggregate";
import type { FiguresOutcome } from "./figures";
import { paperGain, isSecondHand, type PaperFigures } from "./paper";
import { cellLabel, needsJudgeAccuracy } from "./plan";
import { hasFailed, hasResult, type ResultRow } from "./results";
import type { ResolvedSuite } from "./suite-config";
import { TEST_PASSES } from "../core/test-score";
import { formatCaps } from "../core/budget";

/** summary.md of a suite, and the short version the command prints. */

export interface SummaryInput {
  suite: ResolvedSuite;
  agg: SuiteAggregate;
  rows: readonly ResultRow[];
  paper: PaperFigures;
  /** id → source line of each method (from the registry). */
  sources: Record<string, string>;
  figures: FiguresOutcome | null;
  /** The suite was interrupted: some runs are still pending. */
  interrupted: boolean;
  /** The LRF's on-policy fresh-pair accuracy per system and component, pooled over the Optimas runs (fresh-accuracy.ts). */
  freshAccuracy?: readonly FreshAccuracyRow[];
}

/** The line every summary and figure carries about where the numbers come from. */
export function backendLine(suite: ResolvedSuite, rows: readonly ResultRow[]): string {
  if (suite.backend === "simlm") return `SimLM ${SIMLM_VERSION}, a seeded surrogate model (not a language model); worlds ${suite.worlds.join(", ")}`;
  const labels = [...new Set(rows.map((r) => r.backend).filter((b): b is string => b !== null))];
  return labels.length > 0 ? labels.join("; ") : `OpenAI-compatible endpoint${suite.model ? `, model ${suite.model}` : ""}`;
}

/** The settings of the suite's systems that have any, e.g. "pubmedqa (models=simlm; extraction=first-substring)". */
function settingsLine(suite: ResolvedSuite): string {
  const described = suite.systems.filter((s) => getSystem(s).settings.length > 0).map((s) => `${s} (${formatSettings(suite.settings[s]!)})`);
  return described.length > 0 ? described.join(", ") : "none";
}

export function backendNote(suite: ResolvedSuite): string {
  return suite.backend === "simlm" ? `SimLM ${SIMLM_VERSION} surrogate results (worlds ${suite.worlds.join(", ")}), not the paper's numbers` : "real endpoint results";
}

const fixed = (v: number | null | undefined, digits = 4) => (v === null || v === undefined || !Number.isFinite(v) ? "n/a" : v.toFixed(digits));
const percent = (v: number | null) => (v === null || !Number.isFinite(v) ? "n/a" : `${v >= 0 ? "+" : ""}${(100 * v).toFixed(2)}%`);
const interval = (ci: [number, number] | null) => (ci === null ? "n/a" : `[${percent(ci[0])}, ${percent(ci[1])}]`);

/** A cell's score; failed runs are counted as failed (the "Failed runs" list gives their errors), never shown as pending. */
function cellText(c: CellStat, failed: number): string {
  if (c.notApplicable) return "n/a";
  if (c.mean === null) return failed > 0 ? `failed (${failed}/${c.expected} runs)` : "pending";
  const runs = c.n < c.expected ? ` (${c.n}/${c.expected} runs${failed > 0 ? `, ${failed} failed` : ""})` : "";
  return c.n > 1 ? `${fixed(c.mean)} ± ${fixed(c.ci95)}${runs}` : `${fixed(c.mean)}${runs}`;
}

function systemHeader(system: string): string {
  return `${system} (${getSystem(system).metric})`;
}

/** Failed runs by system and method, and by system alone. */
function failedCounts(rows: readonly ResultRow[]): { cell: (system: string, method: string) => number; system: (system: string) => number } {
  const failed = aq.from(rows.filter(hasFailed), ["system", "method"]);
  const bySystem = new Map((failed.groupby("system").count().objects() as { system: string; count: number }[]).map((r) => [r.system, r.count]));
  const byCell = new Map((failed.groupby("system", "method").count().objects() as { system: string; method: string; count: number }[]).map((r) => [`${r.system}/${r.method}`, r.count]));
  return { cell: (system, method) => byCell.get(`${system}/${method}`) ?? 0, system: (system) => bySystem.get(system) ?? 0 };
}

function scoreRows(agg: SuiteAggregate, rows: readonly ResultRow[]): Row[] {
  // A derived baseline reads every run of its system (their test_before), so those runs' failures are its own.
  const counts = failedCounts(rows);
  const failed = (system: string, method: { id: string; derived?: boolean }) => (method.derived ? counts.system(system) : counts.cell(system, method.id));
  return agg.methods.map((m) => ({
    method: m.id,
    role: m.derived ? "baseline (derived)" : m.role,
    ...Object.fromEntries(agg.systems.map((s) => [systemHeader(s), cellText(agg.table[s]![m.id]!, failed(s, m))])),
  }));
}

/** One line per failed run with the first line of its error; empty when none failed. */
function failedRunLines(rows: readonly ResultRow[]): string[] {
  return rows.filter(hasFailed).map((r) => `- ${cellLabel(r)} (\`${r.run_dir}\`): ${r.note}`);
}

function gainRows(agg: SuiteAggregate, paper: PaperFigures): Row[] {
  const best = (g: SystemGain) => (g.bestBaseline ? `${g.bestBaseline.method} ${fixed(g.bestBaseline.mean)}` : "n/a");
  return agg.gains.map((g, i) => {
    const all = agg.allBaselines.gains[i]!;
    return {
      system: g.system,
      Optimas: fixed(g.optimas),
      "best paper baseline": best(g),
      gain: percent(g.gain),
      "95% bootstrap CI": interval(g.ci),
      "best of all baselines": best(all),
      "gain over all": `${percent(all.gain)} ${interval(all.ci)}`,
      "in average": g.inHeadline ? "yes" : paper.systems[g.system] ? "no (gain undefined)" : "no (not a paper system)",
      [`paper gain${isSecondHand(paper) ? " (second-hand)" : ""}`]: percent(paperGain(paper, g.system)),
    };
  });
}

function averageText(comparison: Comparison, units: number): string {
  const ci = comparison.headline.ci ? `95% bootstrap CI ${interval(comparison.headline.ci)} over ${units} (seed, world) units` : `no interval: ${units} (seed, world) unit`;
  return `**${percent(comparison.headline.gain)}** (${ci})`;
}

/** The comparison the headline is taken from: the suite's stated cap when it has caps, else the runs' final states. */
function headlineLine(full: SuiteAggregate, paper: PaperFigures, suite: ResolvedSuite): string {
  const { cap, agg } = headlineAggregate(full, suite.headlineCap);
  const at = cap === null ? "A" : `At the ${cap.toLocaleString("en-US")}-system-run cap, a`;
  const p = `the paper reports **${paper.headline.averageImprovementPercent}%** (${paper.headline.source})`;
  if (agg.headline.gain === null) {
    return `${at}verage gain over the paper's systems: **n/a** — no system of the paper with a defined gain is in this suite (the toy system is a teaching system, not one of the paper's five); ${p}.`;
  }
  const extras = agg.methods.filter((m) => m.role === "extra-baseline").map((m) => m.id);
  const all = extras.length > 0 ? ` Against every baseline, ${extras.join(" and ")} included: ${averageText(agg.allBaselines, agg.units.length)}.` : "";
  return `${at}verage gain over the paper's baselines on the paper's systems (${agg.headline.systems.join(", ")}): ${averageText(agg, agg.units.length)}; ${p}.${all}`;
}

/** Failed system runs (left out of every score) and unparsed replies (scored 0), over the cells with a result. */
function failuresLine(rows: readonly ResultRow[]): string {
  const done = rows.filter(hasResult);
  const failed = done.filter((r) => (r.failed_runs ?? 0) > 0);
  const totals = aq.from(done, ["failed_runs", "parse_failures"]).rollup({ runs: aq.op.sum("failed_runs"), replies: aq.op.sum("parse_failures") }).object(0) as { runs?: number; replies?: number };
  const cells = failed.length > 0 ? ` in ${failed.map((r) => `${cellLabel(r)} (${r.failed_runs})`).join(", ")}` : "";
  return `${totals.runs ?? 0} failed system runs, left out of the scores${cells}; ${totals.replies ?? 0} unparsed replies, scored 0 (by stage and cause: each run's result.json)`;
}

function statusLine(rows: readonly ResultRow[]): string {
  const counts = aq.from(rows, ["status"]).groupby("status").count().objects() as { status: string; count: number }[];
  return `${rows.length} cells: ${counts.map((c) => `${c.count} ${c.status}`).join(", ")}`;
}

/** Per `key`, the runs and the mean of each of `columns` over the runs that have a value (arquero skips nulls). */
function meansBy(rows: readonly ResultRow[], key: "method" | "system", columns: readonly (keyof ResultRow)[]): Map<string, Record<string, number | undefined>> {
  const rollup = Object.fromEntries(columns.map((c) => [c, aq.op.mean(c)]));
  const means = aq.from(rows, [key, ...columns]).groupby(key).rollup({ runs: aq.op.count(), ...rollup }).objects() as Record<string, number | undefined>[];
  return new Map(means.map((m) => [String(m[key]), m]));
}

function budgetRows(agg: SuiteAggregate, rows: readonly ResultRow[], surrogate: boolean): Row[] {
  const means = meansBy(rows.filter(hasResult), "method", ["system_runs", "llm_calls", "tokens", "cost_usd", "wall_s"]);
  return agg.methods
    .filter((m) => !m.derived)
    .map((m) => {
      const avg = means.get(m.id) ?? {};
      return {
        method: m.id,
        runs: avg.runs ?? 0,
        "system runs": fixed(avg.system_runs, 0),
        "LLM calls": fixed(avg.llm_calls, 0),
        tokens: fixed(avg.tokens, 0),
        [surrogate ? "cost (USD, SimLM's price list)" : "cost (USD)"]: fixed(avg.cost_usd, 4),
        "wall time (s)": fixed(avg.wall_s, 1),
      };
    });
}

function lrfJudgeRows(agg: SuiteAggregate, rows: readonly ResultRow[]): Row[] {
  const means = meansBy(rows.filter((r) => needsJudgeAccuracy(r) && hasResult(r)), "system", ["lrf_pair_accuracy", "judge_pair_accuracy"]);
  return agg.systems.flatMap((s) => {
    const avg = means.get(s);
    if (avg === undefined) return [];
    return [{ system: s, runs: avg.runs!, LRF: fixed(avg.lrf_pair_accuracy), "LLM judge": avg.judge_pair_accuracy === undefined ? "n/a (no held-out pairs)" : fixed(avg.judge_pair_accuracy) }];
  });
}

/** Test metric of each method's incumbent at each cap (mean ± 95% CI over seeds × worlds), one table per system. */
function capScoreRows(agg: SuiteAggregate, system: string, rows: readonly ResultRow[]): Row[] {
  const failed = (method: string) => rows.filter((r) => r.system === system && r.method === method && hasFailed(r)).length;
  return agg.methods.map((m) => ({
    method: m.id,
    ...Object.fromEntries(agg.atCaps.map((c) => [`${c.cap} runs`, cellText(c.table[system]![m.id]!, failed(m.id))])),
  }));
}

/** The average gain (and each system's) at each cap, against the paper's baselines and against all. */
function capGainRows(atCaps: readonly CapAggregate[], headlineCap: number | undefined): Row[] {
  return atCaps.map((c) => ({
    cap: `${c.cap}${c.cap === headlineCap ? " (headline)" : ""}`,
    "average gain": percent(c.headline.gain),
    "95% bootstrap CI": interval(c.headline.ci),
    "over all baselines": `${percent(c.allBaselines.headline.gain)} ${interval(c.allBaselines.headline.ci)}`,
    ...Object.fromEntries(c.gains.map((g) => [g.system, `${percent(g.gain)}${g.bestBaseline ? ` vs ${g.bestBaseline.method}` : ""}`])),
  }));
}

function budgetSection(agg: SuiteAggregate, suite: ResolvedSuite, rows: readonly ResultRow[]): string[] {
  if (agg.atCaps.length === 0) return [];
  return [
    "## Quality against budget",
    "",
    `Every method ran to the shared cap of ${Math.max(...agg.atCaps.map((c) => c.cap))} system runs (a rollout over k of a system's n components costs k/n of a run;`,
    "validation runs count too and are reported apart in each run's trajectory.csv). At each cap, each run's incumbent — the state",
    "it held after its last step within the cap — was scored on the test split; the gain formula and bootstrap are the ones above.",
    "",
    "### Gain of Optimas over the best baseline at each cap",
    "",
    markdownTable(capGainRows(agg.atCaps, suite.headlineCap)),
    "",
    ...agg.systems.flatMap((s) => [`### ${systemHeader(s)}: test metric at each cap`, "", markdownTable(capScoreRows(agg, s, rows)), ""]),
  ];
}

function paperRows(paper: PaperFigures): Row[] {
  const systems = Object.keys(paper.systems);
  const header = (s: string) => `${s} (${paper.systems[s]!.metric}${paper.systems[s]!.secondHand ? ", second-hand" : ""})`;
  const gains = { method: `gain of ${paper.optimasMethod} over the best baseline`, ...Object.fromEntries(systems.map((s) => [header(s), percent(paperGain(paper, s))])) };
  return [...paper.methods.map((m) => ({ method: m, ...Object.fromEntries(systems.map((s) => [header(s), fixed(paper.systems[s]!.values[m] ?? null, 2)])) })), gains];
}

function freshAccuracySection(rows: readonly FreshAccuracyRow[]): string[] {
  if (rows.length === 0) return [];
  const bySystem = systemAccuracy(rows);
  const table = rows.map((r) => ({ system: r.system, component: r.component, "Optimas runs": r.runs, "fresh pairs": r.pairs, accuracy: fixed(r.accuracy), "system (all its pairs)": fixed(bySystem[r.system]!.accuracy) }));
  return [
    "## LRF fresh-pair accuracy",
    "",
    "Each Optimas iteration collects fresh on-policy pairs for the component it selects; its LRF head ranks them before it adapts",
    "on them (a tie counts 0.5). Pooled over the suite's Optimas runs, weighted by pairs. A head near 0.5 cannot guide its",
    "component; the loop then collects pairs for it instead of optimizing against it (ARCHITECTURE.md).",
    "",
    markdownTable(table),
    "",
  ];
}

export function summaryMarkdown(input: SummaryInput): string {
  const { suite, agg, rows, paper, figures } = input;
  const surrogate = suite.backend === "simlm";
  const lines: string[] = [];
  lines.push(`# Reproduction suite "${suite.name}"${surrogate ? ": SimLM surrogate results" : ""}`, "");
  if (surrogate) {
    lines.push(
      `> **Surrogate results, not the paper's numbers.** Every score here comes from SimLM ${SIMLM_VERSION}, a seeded simulation of`,
      "> LLM behaviour, not a language model. The suite reproduces the paper's comparison protocol (systems, methods, equal",
      "> budgets, the gain formula) on that surrogate. The paper's own figures are in the last table, as reproductions/paper.json holds them.",
      "",
    );
  }
  if (input.interrupted) lines.push("> **Interrupted:** some runs are still pending; rerun the same command to finish them.", "");
  lines.push(
    `- Backend: ${backendLine(suite, rows)}`,
    `- System settings: ${settingsLine(suite)}`,
    `- Suite: preset \`${suite.preset}\`; seeds ${suite.seeds.join(", ")}; worlds ${suite.worlds.join(", ")} (${agg.units.length} (seed, world) units); test scores over ${TEST_PASSES} passes (README "Test scores"); meta-model ${suite.metaModel}, judge ${suite.judgeModel}${suite.caps ? `; caps per run ${formatCaps(suite.caps)}` : ""}`,
    `- Runs: ${statusLine(rows)}`,
    `- Failures: ${failuresLine(rows)}`,
    `- TensorFlow.js backend of the reward models: ${[...new Set(rows.map((r) => r.tf_backend).filter((b) => b !== null))].join(", ") || "n/a"}`,
    "",
    "## Test metric (mean ± 95% CI over seeds × worlds)",
    "",
    markdownTable(scoreRows(agg, rows)),
    "",
  );
  const failures = failedRunLines(rows);
  if (failures.length > 0) lines.push("## Failed runs", "", "Rerun the same command to retry them once the cause is fixed.", "", ...failures, "");
  lines.push(
    "## Gain of Optimas over the best baseline",
    "",
    "gain = (Optimas − best baseline) / best baseline, on the test metric averaged over runs. The paper's baselines (role",
    "`baseline`, the unoptimized system included) give the like-for-like number; \"all\" adds the baselines this project adds",
    "(role `extra-baseline`). The average is the mean of the per-system gains over the paper's systems; its interval resamples",
    "(seed, world) units with every method together and picks the best baseline again each time.",
    "",
    markdownTable(gainRows(agg, paper)),
    "",
    headlineLine(agg, paper, suite),
    "",
    ...budgetSection(agg, suite, rows),
    "## Budget spent (mean per run with a result)",
    "",
    markdownTable(budgetRows(agg, rows, surrogate)),
    "",
    ...freshAccuracySection(input.freshAccuracy ?? []),
    "## LRF pair accuracy against the LLM judge",
    "",
  );
  const judge = lrfJudgeRows(agg, rows);
  lines.push(
    judge.length > 0
      ? "On the held-out preference pairs of each judge-ablation run: its learned LRF against the LLM judge (`judge.score`) that the ablation optimizes (a tie counts 0.5)."
      : "No judge-ablation run with held-out pairs in this suite.",
    "",
  );
  if (judge.length > 0) lines.push(markdownTable(judge), "");
  lines.push("## The paper's figures (reproductions/paper.json)", "", `${paper.note}`, "", markdownTable(paperRows(paper)), "");
  lines.push(
    ...Object.entries(paper.systems).map(([s, v]) => `- ${s}${v.secondHand ? " (second-hand)" : ""}: ${v.source}${v.comment ? `; ${v.comment}` : ""}`),
    `- headline${paper.headline.secondHand ? " (second-hand)" : ""}: ${paper.headline.averageImprovementPercent}% — ${paper.headline.source}`,
    "",
  );
  lines.push("## Figures", "");
  if (figures) {
    lines.push("- `figures/index.html`: every figure on one self-contained page (no network needed)");
    if (figures.pngs.length > 0) lines.push(...figures.pngs.map((f) => `- \`figures/${f.split(/[\\/]/).pop()}\``));
    if (figures.pngNotice) lines.push(`- ${figures.pngNotice}`);
  } else lines.push("- not drawn (the suite was interrupted)");
  lines.push("", "## Methods", "", markdownTable(agg.methods.map((m) => ({ id: m.id, role: m.role, title: m.title, source: input.sources[m.id] ?? "derived from every run's test_before" }))), "");
  lines.push("Per-run numbers: `results.csv`; run directories (config, checkpoints, reward models): `runs/`.", "");
  return lines.join("\n");
}

/** What `optimas reproduce` prints when the suite ends. */
export function terminalSummary(input: SummaryInput): string {
  const { suite, agg, rows, paper } = input;
  const failures = failedRunLines(rows);
  return [
    `Suite "${suite.name}": ${backendNote(suite)}`,
    `Backend: ${backendLine(suite, rows)}`,
    "",
    textTable(scoreRows(agg, rows)),
    ...(failures.length > 0 ? ["", "Failed runs:", ...failures] : []),
    "",
    textTable(gainRows(agg, paper)),
    "",
    ...(agg.atCaps.length > 0 ? ["", textTable(capGainRows(agg.atCaps, suite.headlineCap))] : []),
    "",
    headlineLine(agg, paper, suite).replace(/\*\*/g, ""),
  ].join("\n");
}
