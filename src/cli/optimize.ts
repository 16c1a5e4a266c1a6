import * as path from "node:path";
import { textTable } from "../display/table";
import { withDirLock } from "../core/dir-lock";
import { UsageError } from "../core/failure";
import { RunDir } from "../core/run-dir";
import { runOptimizeJob, type OptimizeJobSpec, type OptimizeSummary } from "../repro/optimize-job";
import { formatSettings } from "../systems/settings";
import type { BudgetCaps } from "../core/budget";
import type { MethodOptions } from "../core/method-options";
import { capsFromOptions, type CapOptions } from "./args";
import { describeRetryCounts } from "../lm/events";
import { pickLMSettings, type LMSettings } from "../repro/lm-settings";
import { printJsonLast } from "./output";
import { RunBar } from "./progress";

export interface OptimizeArgs extends Omit<OptimizeJobSpec, "budget" | "settings" | "caps" | "lm" | "options">, CapOptions, LMSettings {
  /** `--set` values for the system's settings. */
  set?: Record<string, string>;
  /** `--option` values for the method's options. */
  option?: MethodOptions;
  out?: string;
  json: boolean;
}

/** Runs the job with a progress bar in system runs (lines only, without a terminal). */
async function withRunBar<T>(label: string, run: (bar: RunBar) => Promise<T>): Promise<T> {
  const bar = new RunBar(label);
  try {
    return await run(bar);
  } finally {
    bar.stop();
  }
}

function report(summary: OptimizeSummary, json: boolean): void {
  console.log(`${summary.system} / ${summary.method} (${summary.backend})`);
  if (Object.keys(summary.settings).length > 0) console.log(`settings: ${formatSettings(summary.settings)}`);
  console.log(
    textTable([
      { split: "val", before: summary.val_before, after: summary.val_after },
      { split: "test", before: summary.test_before, after: summary.test_after },
    ]),
  );
  console.log(`iterations ${summary.iterations} (accepted ${summary.accepted}, ${summary.status}); system runs ${summary.system_runs}; LLM calls ${summary.llm_calls}; LRF fresh-pair accuracy ${summary.lrf_pair_accuracy?.toFixed(3) ?? "n/a"}`);
  const retried = describeRetryCounts(summary.lm.retryCounts);
  if (retried) console.log(`endpoint: ${retried}`);
  if (summary.failed_runs > 0 || summary.parse_failures > 0) {
    console.log(`failed runs ${summary.failed_runs} (left out of the scores; by stage and cause in result.json); unparsed replies ${summary.parse_failures} (scored 0)`);
  }
  console.log(`run directory: ${summary.run_dir}`);
  if (json) printJsonLast(summary);
}

export async function optimizeCommand(args: OptimizeArgs): Promise<void> {
  const spec: OptimizeJobSpec = { system: args.system, method: args.method, preset: args.preset, world: args.world, seed: args.seed, backend: args.backend, settings: args.set, options: args.option, model: args.model, metaModel: args.metaModel, judgeModel: args.judgeModel, caps: capsFromOptions(args), lm: pickLMSettings(args), ...(args.runCaps && { runCaps: [...new Set(args.runCaps)].sort((a, b) => a - b) }) };
  const out = args.out ?? path.join("runs", `${args.system}-${args.method}-w${args.world}-s${args.seed}-${new Date().toISOString().replace(/[:.]/g, "-")}`);
  // One writer per run directory: a second optimize or resume on it stops at once, naming this one.
  report(await withDirLock(out, () => withRunBar(`${args.system}/${args.method}`, (bar) => runOptimizeJob(spec, out, bar.listener))), args.json);
}

export async function resumeCommand(dir: string, opts: { json: boolean } & CapOptions & LMSettings): Promise<void> {
  const runDir = new RunDir(dir);
  if (!runDir.exists("config.json")) throw new UsageError(`${runDir.file("config.json")}: not found; pass a run directory that \`optimas optimize\` wrote (its --out)`);
  const recorded = runDir.read<{ spec: OptimizeJobSpec; caps?: BudgetCaps }>("config.json", "run config");
  // The recorded caps hold unless raised (or lowered) here; the rest of the spec is the run's identity.
  // So do the LM client's settings: `--timeout`, `--retries`, `--max-retry-after`, `--cache` replace the recorded ones.
  const spec: OptimizeJobSpec = { ...recorded.spec, caps: { ...recorded.caps, ...capsFromOptions(opts) }, lm: { ...recorded.spec.lm, ...pickLMSettings(opts) } };
  const summary = await withDirLock(dir, async () => {
    if (runDir.clearStop()) console.error(`removed ${runDir.file("STOP")}: resuming continues the stopped run`);
    return withRunBar(`${spec.system}/${spec.method}`, (bar) => runOptimizeJob(spec, dir, bar.listener));
  });
  report(summary, opts.json);
}
