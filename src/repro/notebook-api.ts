import * as path from "node:path";
import type { Preset } from "../core/method";
import { RunDir } from "../core/run-dir";
import { UsageError } from "../core/failure";
import { evaluateExamples, type ExampleRow } from "../core/per-example";
import { LLMComponent } from "../core/llm-component";
import { loadIncumbent, readTrajectory, type TrajectoryRow } from "../core/trajectory";
import type { Json } from "../core/json";
import type { ProgressListener } from "../core/progress";
import type { Row } from "../display/table";
import { liveLine } from "../display/notebook";
import { budgetCurvesFigure, gainFigure, scoresFigure } from "../display/charts";
import type { Figure } from "../display/plot";
import type { CompoundSystem, Example } from "../core/system";
import type { Fields } from "../core/json";
import { availableSystems, getSystem, registerSystem } from "../systems/registry";
import { resolveSettings } from "../systems/settings";
import { OracleStore } from "../data/oracle";
import { SimLM } from "../lm/sim/simlm";
import { serveSim, type SimServer } from "../lm/sim/server";
import { createRuntime, separateContext, type BackendKind, type Runtime } from "./runtime";
import type { LMSettings } from "./lm-settings";
import { getMethod } from "./methods";
import { isSecondHand, loadPaperFigures, type PaperFigures } from "./paper";
import { readSuiteResults, runSuite, suiteAggregate } from "./suite";
import { loadSuiteConfig, resolveSuite, REPRODUCTIONS_DIR, type ResolvedSuite } from "./suite-config";
import type { SuiteAggregate } from "./aggregate";
import { gainAverages, gainRows } from "./figures";
import { backendNote } from "./summary";
import type { ResultRow } from "./results";
import type { ColumnTable } from "arquero";
import { resolveMetaModels } from "./meta-model";
import { measureJudgeAccuracy } from "./judge-accuracy";
import type { OptimizeJobSpec } from "./optimize-job";
import { collectPreferences, type Collection } from "../optimas/collect";
import { resolveConfig } from "../optimas/config";
import { LocalRewardModel, type EpochMetrics } from "../reward/lrf";
import { defaultFeaturizer } from "../reward/featurizers";
import { runOptimizeJob, type OptimizeSummary } from "./optimize-job";

/**
 * The verbs notebooks use (re-exported by src/notebook.ts): load a system, evaluate it per
 * example, optimize it with a method at a system-run budget, and read a run back as tables and
 * figures. Everything a run allocates (LRFs, tfjs tensors, the optimizer's runtime) is released by
 * the methods and the job before `optimize` returns; nothing here needs disposing.
 */

export interface SystemOptions {
  world?: number;
  seed?: number;
  backend?: BackendKind;
  /** Values for the system's settings (`--set`), e.g. BigCodeBench's `{ subset: "stdlib-fast" }`. */
  settings?: Record<string, string>;
  /** Sets the model of every LLM component without a model variable (a real endpoint's model name). */
  model?: string;
  lm?: LMSettings;
}

/** A system ready to run (a Runtime: its data, client and context) and the options it was loaded with. */
export interface LoadedSystem extends Runtime {
  id: string;
  options: SystemOptions;
}

export function loadSystem(id: string, options: SystemOptions = {}): LoadedSystem {
  // Notebook output is the cell: an endpoint's waits go to stderr, which the cell shows too.
  const rt = createRuntime({ system: id, ...options });
  return { ...rt, id, options };
}

/** One row per component: what it is, what it reads and writes, and which variable an optimizer changes. */
export function componentsTable(system: LoadedSystem): Row[] {
  return system.system.components.map((c) => ({
    component: c.name,
    kind: c instanceof LLMComponent ? "LLM" : "function",
    variable: c.variable?.kind ?? "none",
    inputs: c.inputFields.join(", "),
    outputs: c.outputFields.join(", "),
    description: c.description,
  }));
}

type Split = "train" | "val" | "test";

export interface Evaluation {
  system: string;
  split: Split;
  backend: string;
  mean: number;
  se: number;
  ci95: number;
  n: number;
  passes: number;
  failures: number;
  /** One row per example (core/per-example.ts): inputs, output, gold, score, each pass's score. */
  rows: ExampleRow[];
}

function shorten(fields: Record<string, Json>, keys: readonly string[], width: number): string {
  const text = keys.map((k) => `${k}: ${typeof fields[k] === "string" ? fields[k] : JSON.stringify(fields[k])}`).join(" | ").replace(/\s+/g, " ");
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

async function evaluateRuntime(rt: Runtime, split: Split, options: { limit?: number; passes?: number }): Promise<Evaluation> {
  // The project's one test-score definition, on its own account of the runtime's endpoint, keeping each run's output.
  const { rows, score } = await evaluateExamples(rt.system, rt.data[split].slice(0, options.limit), separateContext(rt).ctx.withStage("eval"), { passes: options.passes });
  return { system: rt.entry.id, split, backend: rt.backendLabel, mean: score.mean, se: score.se, ci95: score.ci95, n: score.n, passes: score.passes, failures: score.evaluation.failures, rows };
}

/** Scores the system as it is on a split (default: test), with one row per example. */
export function evaluate(system: LoadedSystem, split: Split = "test", options: { limit?: number; passes?: number } = {}): Promise<Evaluation> {
  return evaluateRuntime(system, split, options);
}

/** One evaluation as a one-row summary. */
export function evaluationSummary(label: string, e: Evaluation): Row {
  return { run: label, split: e.split, mean: e.mean, ci95: e.ci95, n: e.n, passes: e.passes, failures: e.failures };
}

export interface OptimizeOptions {
  /** The run's cap of system runs (a rollout over k of n components costs k/n of a run). */
  budget: number;
  preset?: Preset;
  /** The run directory (default: runs/notebooks/<system>-<method>-w<world>-s<seed>-b<budget>-<time>). */
  out?: string;
  /** The model that writes proposals and critiques, and the judge's (required with `backend: "openai"`). */
  metaModel?: string;
  judgeModel?: string;
  /** Where progress goes (default: a line updated in place in the cell, and each finished iteration printed). */
  onProgress?: ProgressListener;
}

/** A finished optimization: its result.json, its trajectory, and its optimized system to evaluate. */
export interface Run {
  system: string;
  method: string;
  role: ReturnType<typeof getMethod>["role"];
  dir: string;
  summary: OptimizeSummary;
  /** trajectory.csv: what the method had spent after each step and the incumbent it kept. */
  trajectory(): TrajectoryRow[];
  /** The optimized system (the run's final incumbent) scored on a split, one row per example. */
  evaluate(split?: Split, options?: { limit?: number; passes?: number }): Promise<Evaluation>;
}

function runOf(system: LoadedSystem, dir: string, summary: OptimizeSummary): Run {
  const runDir = new RunDir(dir);
  const trajectory = () => readTrajectory(runDir);
  return {
    system: system.id,
    method: summary.method,
    role: getMethod(summary.method).role,
    dir,
    summary,
    trajectory,
    async evaluate(split = "test", options = {}) {
      const rows = trajectory();
      const incumbent = loadIncumbent(runDir, rows[rows.length - 1]!.incumbent);
      if ((incumbent.perInput ?? []).length > 0) {
        throw new UsageError(`run ${dir} selects ${incumbent.perInput!.join(", ")} per input with its reward model, which is not saved; its test score is result.json's test_after`);
      }
      const rt = createRuntime({ system: system.id, ...system.options });
      rt.system.loadStateDict(incumbent.stateDict);
      return evaluateRuntime(rt, split, options);
    },
  };
}

/**
 * Optimizes the system with a method (`optimas`, a baseline or an ablation) up to `budget` system
 * runs, then test-scores the result, exactly as `optimas optimize` does. The system passed in is
 * left as it was; the run's own copy is optimized.
 */
export async function optimize(system: LoadedSystem, method: string, options: OptimizeOptions): Promise<Run> {
  const { world = 0, seed = 0, backend = "simlm", settings, model, lm } = system.options;
  const out = options.out ?? path.join("runs", "notebooks", `${system.id}-${method}-w${world}-s${seed}-b${options.budget}-${new Date().toISOString().replace(/[:.]/g, "-")}`);
  const label = `${system.id}/${method}`;
  const summary = await runOptimizeJob({ system: system.id, method, preset: options.preset ?? "quick", world, seed, backend, settings, model, lm, metaModel: options.metaModel, judgeModel: options.judgeModel, runCaps: [options.budget] }, out, options.onProgress ?? cellProgress(label));
  console.log(`${label}: test ${summary.test_before.toFixed(4)} → ${summary.test_after.toFixed(4)} after ${summary.system_runs.toFixed(1)} system runs (${summary.wall_s.toFixed(0)} s)`);
  return runOf(system, out, summary);
}

/** Progress inside the cell: a live line of system runs spent (in a kernel), and each iteration's line. */
function cellProgress(label: string): ProgressListener {
  const live = liveLine();
  const started = Date.now();
  return (event) => {
    if (event.kind === "line") console.log(`${label}: ${event.line}`);
    else live?.(`${label}: ${event.progress.phase}, ${event.progress.done.toFixed(1)} of at most ${event.progress.total.toFixed(0)} system runs, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  };
}

/** Runs several methods one after the other on the same system and budget. */
export async function compare(system: LoadedSystem, methods: readonly string[], options: OptimizeOptions): Promise<Run[]> {
  const runs: Run[] = [];
  for (const method of methods) runs.push(await optimize(system, method, options));
  return runs;
}

/** One row per run: test score before and after with its interval, and what the method spent. */
export function runsTable(runs: readonly Run[]): Row[] {
  return runs.map((r) => ({
    system: r.system,
    method: r.method,
    role: r.role,
    test_before: r.summary.test_before,
    test_after: r.summary.test_after,
    ci95: r.summary.test_ci95_after,
    system_runs: r.summary.system_runs,
    llm_calls: r.summary.llm_calls,
    accepted: r.summary.accepted,
  }));
}

/** Quality against budget of the runs, one panel per system (labelled with the runs' backend). */
export function budgetFigure(runs: readonly Run[]): Figure {
  return budgetCurvesFigure(runs.map((r) => ({ system: r.system, method: r.method, role: r.role, trajectory: r.trajectory(), label: `seed ${r.summary.seed}, world ${r.summary.world}` })), runs[0]?.summary.backend);
}

/** Test scores after optimizing with 95% intervals, Optimas highlighted and ablations apart. */
export function scoresFigureOf(runs: readonly Run[], metric: string): Figure {
  return scoresFigure(runs.map((r) => ({ system: r.system, method: r.method, role: r.role, mean: r.summary.test_after, ci95: r.summary.test_ci95_after })), metric, runs[0]?.summary.backend);
}

/** Our method id of each method the paper's table names (reproductions/paper.json's "methods"). */
const PAPER_METHOD_IDS: Readonly<Record<string, string>> = {
  Unoptimized: "unoptimized",
  REINFORCE: "reinforce",
  LLMSelector: "llmselector",
  "Hierarchical Behavior Cloning": "hbc",
  TextGrad: "textgrad",
  "DSPy (MIPRO, instructions only)": "mipro",
  Optimas: "optimas",
};

/**
 * The paper's numbers for a system beside this notebook's runs: one row per method of the paper's
 * table, the paper's value as reproductions/paper.json gives it (with its source; n/a where it has
 * none) and the run's test score on its own backend. The two are never the same quantity: on SimLM
 * the run's number is a surrogate's.
 */
export function paperComparison(system: string, runs: readonly Run[]): Row[] {
  const paper = loadPaperFigures();
  const entry = paper.systems[system];
  const mine = runs.filter((r) => r.system === system);
  return paper.methods.map((name) => {
    const id = PAPER_METHOD_IDS[name];
    const run = mine.find((r) => r.method === id);
    const ours = id === "unoptimized" ? (mine[0]?.summary.test_before ?? null) : (run?.summary.test_after ?? null);
    // paper.json holds the table as printed (percent); the run's score is a fraction.
    return { method: name, [`paper, % (second-hand)`]: entry?.values[name] ?? null, [`this run, % (${mine[0]?.summary.backend ?? "not run"})`]: ours === null ? null : 100 * ours, source: entry?.source ?? "not in paper.json" };
  });
}

/**
 * The LRF's pair accuracy beside the LLM judge's on the same held-out preference pairs of an
 * Optimas run (the judge's calls go to the run's endpoint, outside its budget), as the suite
 * measures it for the paper's LRF-versus-judge comparison.
 */
export async function lrfVersusJudge(run: Run): Promise<Row> {
  const runDir = new RunDir(run.dir);
  const { spec } = runDir.read<{ spec: OptimizeJobSpec }>("config.json", "run config");
  const judge = await measureJudgeAccuracy(spec, runDir);
  return { system: run.system, method: run.method, lrf_pair_accuracy: run.summary.lrf_pair_accuracy, judge_pair_accuracy: judge.accuracy, judge_pairs: judge.pairs, judge_model: judge.model };
}

/**
 * Preference pairs for one component, collected as Optimas collects them: for each training
 * example (from `offset`), several candidate outputs of the component, each scored by the global
 * metric of the system runs it leads to; every two candidates whose scores differ make a pair.
 * `round` keeps the draws of separate collections apart.
 */
export function collectPairs(system: LoadedSystem, component: string, options: { examples: number; offset?: number; round?: number }): Promise<Collection> {
  const config = resolveConfig("quick", resolveMetaModels(system.options.backend ?? "simlm", {}));
  const offset = options.offset ?? 0;
  return collectPreferences(system.system, component, system.data.train.slice(offset, offset + options.examples), separateContext(system).ctx, { ...config, round: options.round ?? 0 });
}

/** The first pairs of a collection as rows: the inputs, the preferred and the other output, and their global scores. */
export function pairsTable(collection: Collection, limit = 8): Row[] {
  return collection.pairs.slice(0, limit).map((p) => ({
    example: p.exampleId,
    inputs: shorten(p.inputs, Object.keys(p.inputs), 60),
    chosen: shorten(p.chosen, Object.keys(p.chosen), 50),
    rejected: shorten(p.rejected, Object.keys(p.rejected), 50),
    score_chosen: p.scoreChosen,
    score_rejected: p.scoreRejected,
  }));
}

export interface LocalRewardStudy {
  /** Bradley–Terry loss and pair accuracy per epoch, with accuracy on the fresh pairs. */
  epochs: EpochMetrics[];
  /** Each fresh candidate's local reward beside the global score it led to. */
  points: { example: string; lrf: number; global: number }[];
}

/**
 * Trains a local reward model (Optimas's architecture and featurizer) on one collection's pairs,
 * measures it on a fresh collection, scores every fresh candidate, and releases the model.
 */
export async function trainLocalReward(system: LoadedSystem, train: Collection, fresh: Collection, options: { epochs?: number } = {}): Promise<LocalRewardStudy> {
  const config = resolveConfig("quick", resolveMetaModels(system.options.backend ?? "simlm", {}));
  const components = system.system.optimizableComponents;
  const lrf = await LocalRewardModel.create({ heads: components.map((c) => ({ name: c.name, description: c.description })), featurizer: defaultFeaturizer(), seed: system.seed });
  try {
    const report = await lrf.train(train.pairs, { epochs: options.epochs ?? config.lrfEpochs, learningRate: config.lrfLearningRate, marginMode: config.marginMode, validation: fresh.pairs });
    const component = system.system.component(fresh.component);
    const candidates = fresh.examples.flatMap((e) => e.candidates.map((c) => ({ example: e.exampleId, inputs: e.inputs, outputs: c.outputs, global: c.score })));
    const rewards = await lrf.score(candidates.map((c) => ({ component: component.name, description: component.description, inputs: c.inputs, outputs: c.outputs })));
    return { epochs: report.epochs, points: candidates.map((c, i) => ({ example: c.example, lrf: rewards[i]!, global: c.global })) };
  } finally {
    lrf.dispose();
  }
}

export interface OwnSystem {
  /** The system's id; every example id starts with `<id>/` (SimLM finds the gold by it). */
  id: string;
  title: string;
  /** The metric's name, for tables. */
  metric: string;
  /** Builds a fresh system (each run optimizes its own). */
  build: () => CompoundSystem;
  splits: { train: Example[]; val: Example[]; test: Example[] };
  /**
   * The gold final outputs of an example, by output field name: what SimLM's generic skill answers
   * towards (never shown to an optimizer).
   */
  gold: (example: Example) => Fields;
}

/**
 * Registers a system defined in a notebook, so `loadSystem(id)`, `evaluate` and `optimize` run it
 * as they run the paper's systems (run directories, budgets and test scores included).
 */
export function defineSystem(own: OwnSystem): void {
  const examples = [...own.splits.train, ...own.splits.val, ...own.splits.test];
  const stray = examples.find((e) => !e.id.startsWith(`${own.id}/`));
  if (stray) throw new UsageError(`example "${stray.id}" of system "${own.id}": ids must start with "${own.id}/" so SimLM can find their gold outputs`);
  const byId = new Map(examples.map((e) => [e.id, e]));
  registerSystem({
    id: own.id,
    title: own.title,
    metric: own.metric,
    settings: [],
    build: own.build,
    load: () => own.splits,
    registerOracles: (store) => store.register(own.id, (id) => (byId.has(id) ? own.gold(byId.get(id)!) : undefined)),
  });
}

/**
 * SimLM behind an OpenAI-compatible HTTP endpoint on localhost (what `optimas serve-sim` runs),
 * serving every built-in system: a stand-in for a real server when none is at hand. `close()` stops it.
 */
export async function serveSimLM(world = 0): Promise<SimServer> {
  const oracles = new OracleStore();
  for (const entry of availableSystems().map(getSystem)) entry.registerOracles(oracles, resolveSettings(entry, "openai"));
  return serveSim({ provider: new SimLM({ world, oracles }) });
}

export interface ReproduceOptions {
  /** A shipped suite (`quick`, `paper`) or a suite .json file; default `quick`. */
  suite?: string;
  /** Instead of the suite's: fewer systems, methods, seeds or worlds make a smaller run. */
  systems?: string[];
  methods?: string[];
  seeds?: number[];
  worlds?: number[];
  /** The results folder (default: reproductions/results/<suite>-notebook). */
  out?: string;
  /** Worker processes (default 2). */
  workers?: number;
}

/**
 * Runs a reproduction suite as `optimas reproduce` does (worker processes, results.csv, summary.md,
 * figures/ without PNGs) and returns its results folder. Cells already finished there are kept and
 * unfinished ones resume, so running the cell again costs nothing once the suite is done.
 */
export async function reproduce(options: ReproduceOptions = {}): Promise<string> {
  const suite = resolveSuite(loadSuiteConfig(options.suite ?? "quick"), { systems: options.systems, methods: options.methods, seeds: options.seeds, worlds: options.worlds });
  const outDir = path.resolve(options.out ?? path.join(REPRODUCTIONS_DIR, "results", `${suite.name}-notebook`));
  const live = liveLine();
  const outcome = await runSuite(suite, {
    outDir,
    workers: options.workers ?? 2,
    png: false,
    onEvent: (e) => {
      if (e.kind === "plan") console.log(`suite ${suite.name}: ${e.cells} cells, ${e.toRun} to run, ${e.alreadyDone} already finished, ${e.notApplicable} n/a; results in ${outDir}`);
      else if (e.kind === "run") console.log(`[${e.done}/${e.toRun}] ${e.cell.system}/${e.cell.method}: ${e.error ?? `${e.row.status}, test ${e.row.test_mean?.toFixed(4) ?? "n/a"} after ${e.row.system_runs?.toFixed(1) ?? "n/a"} system runs (${e.wallS.toFixed(0)} s)`}`);
      else live?.(`running: ${e.running.map((c) => `${c.cell.system}/${c.cell.method} ${c.progress.done.toFixed(0)}/${c.progress.total.toFixed(0)}`).join(", ") || "none"} (${e.done}/${e.toRun} done)`);
    },
  });
  if (outcome.failed > 0) throw new Error(`${outcome.failed} cell(s) failed; ${outcome.summaryMd} lists them`);
  return outDir;
}

/** A suite's results folder read back: the suite it ran, one row per cell, the aggregate summary.md shows, and the paper's figures. */
export interface SuiteReport {
  dir: string;
  suite: ResolvedSuite;
  rows: ResultRow[];
  agg: SuiteAggregate;
  paper: PaperFigures;
  /** Where the numbers come from ("SimLM … surrogate results …, not the paper's numbers", or a real endpoint's). */
  backend: string;
}

/** Reads a results folder `reproduce` or `optimas reproduce` wrote (finished or not); runs nothing. */
export function readSuite(dir: string): SuiteReport {
  const { suite, rows } = readSuiteResults(dir);
  const paper = loadPaperFigures();
  return { dir: path.resolve(dir), suite, rows, agg: suiteAggregate(suite, rows, paper), paper, backend: backendNote(suite) };
}

/**
 * The gain of Optimas over the best of the paper's baselines per system, with its 95% bootstrap
 * interval, beside the paper's gain (reproductions/paper.json, second-hand where marked), then the
 * average row beside the paper's 11.92%. On SimLM the suite's numbers are a surrogate's.
 */
export function gainTable(report: SuiteReport): Row[] {
  const ours = report.suite.backend === "simlm" ? "SimLM surrogate" : "this endpoint";
  const paperColumn = `paper gain, %${isSecondHand(report.paper) ? " (second-hand)" : ""}`;
  const pct = (v: number | null) => (v === null ? null : 100 * v);
  const interval = (ci: [number, number] | null) => (ci === null ? "n/a" : `${(100 * ci[0]).toFixed(2)} … ${(100 * ci[1]).toFixed(2)}`);
  const rows: Row[] = gainRows(report.agg, report.paper).map((g, i) => {
    const s = report.agg.gains[i]!;
    return {
      system: g.system,
      optimas: s.optimas,
      best_baseline: s.bestBaseline ? `${s.bestBaseline.method} ${s.bestBaseline.mean.toFixed(4)}` : "n/a",
      [`gain, % (${ours})`]: pct(g.gain),
      "95% CI, %": interval(g.ci),
      "gain over all baselines, %": pct(g.gainAllBaselines),
      [paperColumn]: pct(g.paper),
    };
  });
  const h = report.agg.headline;
  rows.push({ system: `average (${h.systems.join(", ") || "none"})`, optimas: null, best_baseline: "", [`gain, % (${ours})`]: pct(h.gain), "95% CI, %": interval(h.ci), "gain over all baselines, %": pct(report.agg.allBaselines.headline.gain), [paperColumn]: report.paper.headline.averageImprovementPercent });
  return rows;
}

/** Gain against the paper, per system and on average (display/charts.ts), subtitled with where the suite's numbers come from. */
export function gainFigureOf(report: SuiteReport): Figure {
  return gainFigure(gainRows(report.agg, report.paper), gainAverages(report.agg, report.paper), report.backend);
}

/** The suite's test scores per system with 95% intervals over seeds × worlds, Optimas highlighted and ablations apart. */
export function suiteScoresFigure(report: SuiteReport): Figure {
  const rows = report.agg.methods.flatMap((m) => report.agg.systems.map((system) => ({ system, method: m.id, role: m.role, mean: report.agg.table[system]![m.id]!.mean, ci95: report.agg.table[system]![m.id]!.ci95 })));
  return scoresFigure(rows, "metric", report.backend);
}

/** Quality against budget from stacked trajectories (frames' `suiteTrajectories`): one step line per run, one panel per system. */
export function trajectoriesFigure(trajectories: ColumnTable, subtitle?: string): Figure {
  const rows = trajectories.objects() as (TrajectoryRow & { system: string; method: string; seed: number; world: number })[];
  const runs = new Map<string, typeof rows>();
  for (const r of rows) {
    const key = `${r.system}/${r.method}/${r.seed}/${r.world}`;
    runs.set(key, [...(runs.get(key) ?? []), r]);
  }
  return budgetCurvesFigure([...runs.values()].map((steps) => ({ system: steps[0]!.system, method: steps[0]!.method, role: getMethod(steps[0]!.method).role, trajectory: steps, label: `seed ${steps[0]!.seed}, world ${steps[0]!.world}` })), subtitle);
}
