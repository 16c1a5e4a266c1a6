import * as path from "node:path";
import { FatalRunError, InterruptedError } from "../core/failure";
import { cellLabel } from "../repro/plan";
import { loadSuiteConfig, resolveSuite, type SuiteOverrides } from "../repro/suite-config";
import { runSuite, type SuiteEvent, type SuiteOutcome } from "../repro/suite";
import { RunDir } from "../core/run-dir";
import { BudgetStopError, type BudgetResource } from "../core/budget";
import { STOPPED_FILE } from "../repro/optimize-job";
import { capsFromOptions, type CapOptions } from "./args";
import { pickLMSettings, type LMSettings } from "../repro/lm-settings";
import { printJsonLast } from "./output";
import { SuiteBars } from "./progress";
import type { MethodOptions } from "../core/method-options";
import { queueRunner } from "../repro/queue";

/** The suite's lists, caps and models as the command line overrides them (`SuiteOverrides`), plus the command's own options. */
export interface ReproduceArgs extends CapOptions, LMSettings, Pick<SuiteOverrides, "systems" | "methods" | "seeds" | "worlds" | "runCaps" | "headlineCap" | "metaModel" | "judgeModel"> {
  suite: string;
  /** `--option <method>.<key>=<value>` values, by method. */
  option?: Record<string, MethodOptions>;
  out?: string;
  workers: number;
  /** redis://… : the cells go on the suite's queue for `optimas worker` processes. */
  queue?: string;
  png: boolean;
  json: boolean;
}

const fmt = (v: number | null) => (v === null ? "n/a" : v.toFixed(4));

/** The line an event leaves (the plan, each finished cell); progress events only move the bars. */
function eventLine(e: SuiteEvent, outDir: string, where: string): string | null {
  if (e.kind === "plan") return `${e.cells} cells: ${e.toRun} to run on ${where}, ${e.alreadyDone} already finished, ${e.notApplicable} n/a; results in ${outDir}`;
  if (e.kind === "progress") return null;
  const r = e.row;
  const what = e.error !== null ? `error: ${e.error}` : `${r.status}, test ${fmt(r.test_before)} → ${fmt(r.test_mean)} (${r.system_runs ?? "n/a"} system runs, ${e.wallS.toFixed(1)} s)`;
  return `[${e.done}/${e.toRun}] ${cellLabel(e.cell)}: ${what}`;
}

/** The caps that stopped runs of this suite (their run directories' stop records say so). */
function capStops(outcome: SuiteOutcome): { resource: BudgetResource; cap: number }[] {
  return outcome.rows.flatMap((row) => {
    const dir = new RunDir(path.join(outcome.outDir, row.run_dir));
    if (row.status !== "stopped" || !dir.exists(STOPPED_FILE)) return [];
    const stop = dir.read<{ cap?: { resource: BudgetResource; value: number } }>(STOPPED_FILE, "stop record");
    return stop.cap ? [{ resource: stop.cap.resource, cap: stop.cap.value }] : [];
  });
}

export async function reproduceCommand(args: ReproduceArgs): Promise<void> {
  const suite = resolveSuite(loadSuiteConfig(args.suite), { systems: args.systems, methods: args.methods, seeds: args.seeds, worlds: args.worlds, runCaps: args.runCaps, headlineCap: args.headlineCap, caps: capsFromOptions(args), metaModel: args.metaModel, judgeModel: args.judgeModel, methodOptions: args.option, lm: pickLMSettings(args) });
  const outDir = path.resolve(args.out ?? path.join("reproductions", "results", suite.name));
  const progress = new SuiteBars(`suite ${suite.name}`);
  const controller = new AbortController();
  const interrupt = () => {
    progress.log("interrupted: stopping the workers (finished runs are kept; rerun the same command to resume)");
    controller.abort();
  };
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);
  let outcome;
  try {
    const runner = args.queue === undefined ? undefined : queueRunner(args.queue, suite.name);
    const where = args.queue === undefined ? `${args.workers} worker(s)` : `the queue ${suite.name}`;
    outcome = await runSuite(suite, { outDir, workers: args.workers, png: args.png, runner, signal: controller.signal, onEvent: (e) => progress.handle(e, eventLine(e, outDir, where)) });
  } finally {
    progress.stop();
    process.off("SIGINT", interrupt);
    process.off("SIGTERM", interrupt);
  }
  console.log(outcome.text);
  console.log("");
  console.log(`results: ${outcome.resultsCsv}`);
  console.log(`summary: ${outcome.summaryMd}`);
  if (outcome.figures) console.log(`figures: ${outcome.figures.html}${outcome.figures.pngNotice ? ` (${outcome.figures.pngNotice})` : ` and ${outcome.figures.pngs.length} PNG files`}`);
  if (args.json) {
    printJsonLast({
      suite: suite.name,
      out: outcome.outDir,
      results_csv: outcome.resultsCsv,
      summary_md: outcome.summaryMd,
      figures_html: outcome.figures?.html ?? null,
      headline_gain: outcome.agg.headline.gain,
      headline_ci95: outcome.agg.headline.ci,
      gains: outcome.agg.gains,
      all_baselines: { headline_gain: outcome.agg.allBaselines.headline.gain, headline_ci95: outcome.agg.allBaselines.headline.ci, gains: outcome.agg.allBaselines.gains },
      cells: outcome.rows.length,
      ran: outcome.ran.length,
      failed: outcome.failed,
      interrupted: outcome.interrupted,
    });
  }
  if (outcome.interrupted) throw new InterruptedError(`interrupted: ${outcome.rows.filter((r) => r.status === "pending").length} runs pending; rerun the same command to resume them`);
  // Runs that stopped at a spend cap, and nothing else: a budget stop, continued by the same command with a higher cap.
  const capped = capStops(outcome);
  if (outcome.failed > 0 && capped.length === outcome.failed) throw BudgetStopError.suiteStopped(capped, outcome.summaryMd);
  if (outcome.failed > 0) throw new FatalRunError(outcome.summaryMd, `${outcome.failed} run(s) failed (listed under "Failed runs", status "failed" in results.csv)`, "fix the cause and rerun the same command to retry them");
}
