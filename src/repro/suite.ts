import * as fs from "node:fs";
import { freshAccuracyRows } from "./fresh-accuracy";
import * as path from "node:path";
import { clearStaleLock, withDirLock } from "../core/dir-lock";
import { readJson, writeFileAtomic, writeJsonAtomic } from "../core/files";
import { RunDir } from "../core/run-dir";
import { aggregateSuite, type SuiteAggregate } from "./aggregate";
import { suiteFigures, writeFigures, type FiguresOutcome } from "./figures";
import { getMethod } from "./methods";
import { loadPaperFigures, type PaperFigures } from "./paper";
import { cellLabel, hasResultAtCaps, isComplete, jobSpec, needsJudgeAccuracy, planSuite, type RunCell } from "./plan";
import { runPool, type JobRunner } from "./pool";
import { ERROR_FILE, readResultRow, resultsCsv, type ResultRow } from "./results";
import { backendNote, summaryMarkdown, terminalSummary } from "./summary";
import type { ResolvedSuite } from "./suite-config";
import type { WorkerJob } from "./worker-protocol";
import { CellProgressReader, WATCH_INTERVAL_MS, type RunningCell } from "./progress-watch";

/**
 * Runs a suite: every unfinished (system, method, seed, world) cell on worker processes, then
 * results.csv, summary.md and figures/ from the run directories. Cells whose run directory holds
 * a result are not run again; an interrupted run resumes from its checkpoint. One suite writes a
 * results directory at a time (its lock); each worker locks the run directory it writes.
 */

/** The resolved suite a results folder was run with. */
const SUITE_FILE = "suite.json";

export interface SuiteRunOptions {
  /** reproductions/results/<suite> by default (the command decides). */
  outDir: string;
  workers: number;
  /** Runs the jobs (default: runPool, on `workers` local processes; repro/queue.ts puts them on a queue). */
  runner?: JobRunner;
  /** Render PNG figures (needs chromium); HTML is always written. */
  png: boolean;
  /** Aborting kills the workers; finished runs stay, the rest resume next time. */
  signal?: AbortSignal;
  onEvent?: (event: SuiteEvent) => void;
}

export type SuiteEvent =
  | { kind: "plan"; cells: number; toRun: number; alreadyDone: number; notApplicable: number }
  | { kind: "run"; cell: RunCell; row: ResultRow; error: string | null; wallS: number; done: number; toRun: number }
  /** Once a second while cells run: the cells in flight with their progress in system runs. */
  | { kind: "progress"; running: RunningCell[]; done: number; toRun: number };

export interface SuiteOutcome {
  outDir: string;
  resultsCsv: string;
  summaryMd: string;
  figures: FiguresOutcome | null;
  rows: ResultRow[];
  agg: SuiteAggregate;
  /** Cells run in this call (labels), in the order they finished. */
  ran: string[];
  failed: number;
  interrupted: boolean;
  /** The short summary for a terminal. */
  text: string;
}

/** The suite's numbers from its rows, as summary.md, the figures and the notebooks show them. */
export function suiteAggregate(suite: ResolvedSuite, rows: readonly ResultRow[], paper: PaperFigures): SuiteAggregate {
  return aggregateSuite({
    rows,
    systems: suite.systems,
    methods: suite.methods.map(getMethod).map((m) => ({ id: m.id, title: m.title, role: m.role })),
    seeds: suite.seeds,
    worlds: suite.worlds,
    paperSystems: new Set(Object.keys(paper.systems)),
    bootstrapSeed: `suite/${suite.name}`,
    runCaps: suite.runCaps,
  });
}

/** A suite's results folder read back without running anything: the suite it ran (suite.json) and one row per cell from its run directories. */
export function readSuiteResults(outDir: string): { suite: ResolvedSuite; rows: ResultRow[] } {
  const dir = path.resolve(outDir);
  const suite = readJson<ResolvedSuite>(path.join(dir, SUITE_FILE), "the suite's configuration (written by `optimas reproduce`)");
  return { suite, rows: planSuite(suite, dir).map((c) => readResultRow(c, dir)) };
}

export async function runSuite(suite: ResolvedSuite, options: SuiteRunOptions): Promise<SuiteOutcome> {
  const outDir = path.resolve(options.outDir);
  return withDirLock(outDir, () => runSuiteLocked(suite, outDir, options));
}

async function runSuiteLocked(suite: ResolvedSuite, outDir: string, options: SuiteRunOptions): Promise<SuiteOutcome> {
  writeJsonAtomic(path.join(outDir, SUITE_FILE), suite);
  const paper = loadPaperFigures();
  const cells = planSuite(suite, outDir);
  const pending = cells.filter((c) => c.notApplicable === null && !isComplete(c));
  const emit = options.onEvent ?? (() => undefined);
  emit({ kind: "plan", cells: cells.length, toRun: pending.length, alreadyDone: cells.filter((c) => c.notApplicable === null).length - pending.length, notApplicable: cells.filter((c) => c.notApplicable !== null).length });

  const byKey = new Map(pending.map((c) => [cellLabel(c), c]));
  const jobs: WorkerJob[] = pending.map((c) => {
    fs.rmSync(path.join(c.dir, ERROR_FILE), { force: true });
    return { key: cellLabel(c), spec: jobSpec(suite, c), dir: c.dir, resultExists: hasResultAtCaps(c), judgeAccuracy: needsJudgeAccuracy(c) };
  });
  const ran: string[] = [];
  let failed = 0;
  const finished = new Set<RunCell>();
  const reader = new CellProgressReader(pending, Date.now());
  const watch = setInterval(() => emit({ kind: "progress", running: reader.running(finished), done: ran.length, toRun: jobs.length }), WATCH_INTERVAL_MS);
  await (options.runner ?? runPool)(jobs, {
    workers: options.workers,
    signal: options.signal,
    onReply: (job, reply, wallS) => {
      const cell = byKey.get(job.key)!;
      const error = reply.kind === "failed" ? reply.error : null;
      if (error !== null) {
        failed++;
        new RunDir(cell.dir).write(ERROR_FILE, { error });
      }
      ran.push(job.key);
      finished.add(cell);
      emit({ kind: "run", cell, row: readResultRow(cell, outDir), error, wallS, done: ran.length, toRun: jobs.length });
    },
  }).finally(() => clearInterval(watch));
  // Workers killed on abort left their run directories' locks behind; they are gone, so the locks go too.
  for (const c of pending) clearStaleLock(c.dir);
  const interrupted = options.signal?.aborted === true && cells.some((c) => c.notApplicable === null && !isComplete(c));

  const rows = cells.map((c) => readResultRow(c, outDir));
  const resultsFile = path.join(outDir, "results.csv");
  writeFileAtomic(resultsFile, resultsCsv(rows));
  const methods = suite.methods.map(getMethod);
  const agg = suiteAggregate(suite, rows, paper);
  const figures = interrupted ? null : await writeFigures(path.join(outDir, "figures"), `Suite "${suite.name}"`, suiteFigures(agg, rows, paper, backendNote(suite), suite.headlineCap), options.png);
  const summaryInput = { suite, agg, rows, paper, sources: Object.fromEntries(methods.map((m) => [m.id, m.source])), figures, interrupted, freshAccuracy: freshAccuracyRows(outDir, rows) };
  const summaryFile = path.join(outDir, "summary.md");
  writeFileAtomic(summaryFile, summaryMarkdown(summaryInput));
  return { outDir, resultsCsv: resultsFile, summaryMd: summaryFile, figures, rows, agg, ran, failed, interrupted, text: terminalSummary(summaryInput) };
}
