import * as fs from "node:fs";
import * as path from "node:path";
import type { Preset } from "../core/method";
import { RunDir } from "../core/run-dir";
import { stableStringify } from "../core/json";
import type { BudgetCaps } from "../lm/budget";
import type { SystemSettings } from "../systems/settings";
import { createRuntime, separateContext, type BackendKind } from "./runtime";
import { getMethod } from "./methods";
import { isolationRecordOf } from "../systems/bigcodebench/index";

/** One (system, method, seed, world) optimization with its run directory: what `optimas optimize` runs. */

export interface OptimizeJobSpec {
  system: string;
  method: string;
  preset: Preset;
  world: number;
  seed: number;
  backend: BackendKind;
  /** Values for the system's settings; config.json records all of them, resolved for the backend. */
  settings?: Readonly<Record<string, string>>;
  model?: string;
  budget?: BudgetCaps;
  testRepeats?: number;
}

export interface OptimizeSummary {
  system: string;
  method: string;
  world: number | null;
  seed: number;
  val_before: number | null;
  val_after: number | null;
  test_before: number;
  test_after: number;
  test_std_after: number;
  iterations: number;
  accepted: number;
  status: string;
  system_runs: number;
  llm_calls: number;
  tokens: number;
  cost_usd: number;
  lrf_pair_accuracy: number | null;
  backend: string;
  /** The system's resolved settings. */
  settings: SystemSettings;
  run_dir: string;
  /** Seconds this call took (for a resumed run: the session that finished it); excluded from determinism checks. */
  wall_s: number;
  [extra: string]: unknown;
}

/** Equal budgets for every method (protocol: the same cap of global system runs and LLM calls). */
export const BUDGETS: Record<Preset, BudgetCaps> = {
  quick: { systemRuns: 3_000, llmCalls: 30_000 },
  paper: { systemRuns: 10_000, llmCalls: 120_000 },
};

export async function runOptimizeJob(spec: OptimizeJobSpec, runRoot: string, log: (line: string) => void = () => undefined): Promise<OptimizeSummary> {
  const started = Date.now();
  const method = getMethod(spec.method);
  const runDir = new RunDir(runRoot);
  fs.mkdirSync(runRoot, { recursive: true });
  const budget = spec.budget ?? BUDGETS[spec.preset];
  const rt = createRuntime({ system: spec.system, backend: spec.backend, settings: spec.settings, world: spec.world, seed: spec.seed, model: spec.model, budget });
  // Where the system executes generated code: its sandbox's plan and what that leaves open on this
  // host, in config.json and result.json (and `none` next to an API key stops here, before any spend).
  const isolation = await isolationRecordOf(rt.system);
  // Recorded with every setting resolved: giving a default explicitly is the same run, another value is another run.
  const recorded: OptimizeJobSpec = { ...spec, settings: rt.settings };
  if (runDir.exists("config.json")) {
    const previous = runDir.read<{ spec: OptimizeJobSpec }>("config.json", "run config");
    // Run directories written before settings existed ran on the defaults.
    if (stableStringify({ ...previous.spec, settings: previous.spec.settings ?? rt.settings }) !== stableStringify(recorded)) {
      throw new Error(`${runDir.file("config.json")}: this run directory holds another run (${previous.spec.system}/${previous.spec.method}); use a new --out`);
    }
  } else {
    runDir.write("config.json", { spec: recorded, budget, backend: rt.backendLabel, source: method.source, ...(isolation && { isolation }) });
  }
  const notApplicable = method.notApplicable(rt.system);
  if (notApplicable) throw new Error(`method "${spec.method}" does not apply to system "${spec.system}": ${notApplicable}`);

  // Test scores are measured outside the method's budget, with the same sample indices before and after.
  const testRepeats = spec.testRepeats ?? 3;
  let baseline: { test_before: number };
  if (runDir.exists("baseline.json")) baseline = runDir.read("baseline.json", "baseline");
  else {
    const { ctx } = separateContext(rt);
    baseline = { test_before: (await rt.system.evaluate(rt.data.test, ctx.withStage("test"), { repeats: testRepeats })).mean };
    runDir.write("baseline.json", baseline);
  }
  const outcome = await method.run({ system: rt.system, train: rt.data.train, val: rt.data.val, ctx: rt.ctx, preset: spec.preset, runDir, log });
  const { ctx: testCtx } = separateContext(rt);
  const test = await rt.system.evaluate(rt.data.test, testCtx.withStage("test").withSelectors(outcome.evalCtx.selectors), { repeats: testRepeats });
  const spent = rt.ctx.budget.spent;
  const summary: OptimizeSummary = {
    system: spec.system,
    method: spec.method,
    world: rt.world,
    seed: spec.seed,
    val_before: outcome.valBefore,
    val_after: outcome.valAfter,
    test_before: baseline.test_before,
    test_after: test.mean,
    test_std_after: test.std,
    iterations: outcome.iterations,
    accepted: outcome.accepted,
    status: outcome.status,
    system_runs: spent.systemRuns,
    llm_calls: spent.llmCalls,
    tokens: spent.tokens,
    cost_usd: spent.costUsd,
    lrf_pair_accuracy: outcome.lrfPairAccuracy,
    backend: rt.backendLabel,
    settings: rt.settings,
    ...(isolation && { isolation }),
    run_dir: path.resolve(runRoot),
    wall_s: (Date.now() - started) / 1000,
    ...outcome.extra,
  };
  runDir.write("result.json", summary);
  return summary;
}
