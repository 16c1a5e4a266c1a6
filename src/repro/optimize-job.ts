import * as fs from "node:fs";
import * as path from "node:path";
import type { MetaModels, Method, Preset } from "../core/method";
import { OptionError, type MethodOptions } from "../core/method-options";
import { RunDir } from "../core/run-dir";
import { FailureCounts, FatalRunError, UsageError, type FailureCountsJson } from "../core/failure";
import { stableStringify } from "../core/json";
import { measureTestScore, TEST_PASSES, TEST_SAMPLE_INDEX, type TestScore } from "../core/test-score";
import { Budget, BudgetExceededError, BudgetStopError, type BudgetCaps, type BudgetSpent } from "../core/budget";
import type { SystemSettings } from "../systems/settings";
import type { CompoundSystem } from "../core/system";
import type { SharedEntryStore } from "../lm/cache";
import { resolveMetaModels } from "./meta-model";
import { createRuntime, lmRecord, separateContext, type BackendKind, type LMRecord } from "./runtime";
import type { LMSettings } from "./lm-settings";
import { getMethod } from "./methods";
import { incumbentAtCap, loadIncumbent, readTrajectory, INITIAL_INCUMBENT } from "../core/trajectory";
import { isolationRecordOf } from "../systems/bigcodebench/index";
import { RunProgressTracker, type ProgressListener, type RunProgress } from "../core/progress";
import { runEnvironment, type RunEnvironment } from "./run-record";

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
  /**
   * The method's options (`--option`, a suite's `methodOptions`) over its preset's settings.
   * config.json records the method's full resolved configuration here (every key), so a resume
   * runs with exactly the recorded options.
   */
  options?: MethodOptions;
  /** The method's optimization budget (default: the preset's, equal for every method). */
  budget?: BudgetCaps;
  /** Meta-skill and judge models; default: the backend's (an error for a backend without one). */
  metaModel?: string;
  judgeModel?: string;
  /**
   * Spend caps of the whole run, test evaluation included (`--max-*`). Not part of the run's
   * identity: `optimas resume --max-…` raises them and continues the same run.
   */
  caps?: BudgetCaps;
  /**
   * The comparison's system-run caps (a suite's `runCaps`): the method runs until the largest
   * refuses, and the incumbent it held at each cap is test-scored (`test_at_caps`). Not part of the
   * run's identity: a run stopped at one cap resumes to a larger one.
   */
  runCaps?: number[];
  /**
   * The LM client's timeout, retries, maximum Retry-After and cache mode (repro/lm-settings.ts). Not
   * part of the run's identity either: `optimas resume --timeout …` continues the same run.
   */
  lm?: LMSettings;
}

/** What a run spent: the method's optimization and the test evaluations, apart, so methods stay comparable. */
export interface RunSpent {
  optimize: BudgetSpent;
  test: BudgetSpent;
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
  /** Spread of test_after over examples (core/test-score.ts): sd, standard error, 95% CI half-width. */
  test_std_after: number;
  test_se_after: number;
  test_ci95_after: number;
  test_passes: number;
  iterations: number;
  accepted: number;
  status: string;
  /** The method's spend while optimizing (what methods are compared on)... */
  system_runs: number;
  llm_calls: number;
  tokens: number;
  cost_usd: number;
  /** ...and the test evaluations' (before and after), reported apart. */
  test_system_runs: number;
  test_llm_calls: number;
  test_tokens: number;
  test_cost_usd: number;
  spent: RunSpent;
  /** The run's spend caps (`--max-*`), as last resumed. */
  caps: BudgetCaps;
  meta_model: string;
  judge_model: string;
  lrf_pair_accuracy: number | null;
  backend: string;
  /** The system's resolved settings. */
  settings: SystemSettings;
  /** The LM client's settings, and its retries and corrupt cache entries over every stage. */
  lm: LMRecord;
  /** The checkout, package versions, tfjs backend and test passes of the session that finished the run. */
  environment: RunEnvironment;
  run_dir: string;
  /** Seconds this call took (for a resumed run: the session that finished it); excluded from determinism checks. */
  wall_s: number;
  /** Failed system runs of every stage, all causes (never scored; each stage's means leave them out). */
  failed_runs: number;
  /** Runs whose model reply could not be parsed (scored 0, as the paper's metrics do). */
  parse_failures: number;
  /** Runs, failed runs by cause, parse failures and re-runs of each stage. */
  failures: RunFailures;
  [extra: string]: unknown;
}

export interface RunFailures {
  /** The test score before optimizing. */
  baseline: FailureCountsJson;
  /** The method's runs on training data (preference collection, training minibatches, rollouts). */
  collection: FailureCountsJson;
  validation: FailureCountsJson;
  /** The test score after optimizing. */
  test: FailureCountsJson;
}

/**
 * Written when a fatal error or a spend cap stopped the run (`{ status: "stopped", error, cap? }`);
 * `optimas resume` continues it once the cause is fixed or the cap raised.
 */
export const STOPPED_FILE = "stopped.json";

/**
 * The run's progress (core/progress.ts), rewritten at most once a second and at each phase change,
 * so another process (`optimas reproduce` watching its cells) sees where a run stands.
 */
export const PROGRESS_FILE = "progress.json";
const PROGRESS_FILE_INTERVAL_MS = 1000;

/** progress.json: the run's progress and when it was written. */
export interface ProgressRecord extends RunProgress {
  at: string;
}

/** Equal budgets for every method (protocol: the same cap of global system runs and LLM calls). */
export const BUDGETS: Record<Preset, BudgetCaps> = {
  quick: { systemRuns: 3_000, llmCalls: 30_000 },
  paper: { systemRuns: 10_000, llmCalls: 120_000 },
};

/** The test score of the incumbent a method held at one system-run cap (core/trajectory.ts). */
export interface CapScore {
  cap: number;
  /** The incumbent's id, the step that ended last within the cap, and the runs spent by then. */
  incumbent: string;
  step: number;
  system_runs: number;
  validation_runs: number;
  test: number;
  /** null for the unoptimized start, whose score is the run's test_before (measured without it). */
  test_se: number | null;
}

/** The test score before optimizing, with what measuring it spent (restored on resume). */
interface Baseline {
  test_before: number;
  /** The test-score definition it was measured under (core/test-score.ts); another one is measured again. */
  test_passes: number;
  test_sample_index: number;
  spent: BudgetSpent;
  /** Its failed and unparsed runs (absent in baselines measured before they were counted). */
  failures?: FailureCountsJson;
}

/** The spec as config.json records it: every setting, model and method option resolved, the caps apart (they are not the run's identity). */
function runIdentity(spec: OptimizeJobSpec & { testRepeats?: number }, settings: SystemSettings, models: MetaModels, options: object): OptimizeJobSpec & { testRepeats?: number } {
  const { caps: _caps, lm: _lm, runCaps: _runCaps, ...identity } = spec;
  return { ...identity, settings, ...models, options: options as MethodOptions };
}

/** The method's options recorded by an earlier session, resolved as this code resolves them; null when they no longer resolve. */
function recordedOptions(method: Method, spec: OptimizeJobSpec): object | null {
  try {
    return method.resolveOptions(spec.preset, spec.options ?? {});
  } catch (err) {
    if (err instanceof OptionError) return null;
    throw err;
  }
}

/**
 * Runs (or resumes) the job. A fatal error leaves the run directory resumable: stopped.json records
 * the stop and its line, the method's checkpoint stays at its last committed iteration.
 * `sharedCache` keeps the response cache's entries there instead of on disk (a queue worker's `--cache-url`).
 * `onProgress` hears the run's progress in system runs and the method's progress lines (a CLI bar, a notebook cell).
 */
export async function runOptimizeJob(spec: OptimizeJobSpec, runRoot: string, onProgress: ProgressListener = () => undefined, sharedCache?: SharedEntryStore): Promise<OptimizeSummary> {
  const runDir = new RunDir(runRoot);
  if (runDir.exists(STOPPED_FILE)) fs.rmSync(runDir.file(STOPPED_FILE));
  try {
    return await optimizeJob(spec, runRoot, onProgress, sharedCache);
  } catch (err) {
    if (err instanceof FatalRunError || err instanceof BudgetStopError) {
      fs.mkdirSync(runRoot, { recursive: true });
      // A cap's stop also names the cap, so a suite can tell its budget stops from its failures.
      const cap = err instanceof BudgetStopError ? { cap: { resource: err.resource, value: err.cap } } : {};
      runDir.write(STOPPED_FILE, { status: "stopped", error: err.message, ...cap });
    }
    throw err;
  }
}

/** A listener that also keeps progress.json up to date (throttled; phase changes always written). */
function recordingProgress(runDir: RunDir, listener: ProgressListener): ProgressListener {
  let written = 0;
  let phase = "";
  return (event) => {
    listener(event);
    if (event.kind !== "progress") return;
    const now = Date.now();
    if (event.progress.phase === phase && now - written < PROGRESS_FILE_INTERVAL_MS) return;
    written = now;
    phase = event.progress.phase;
    const record: ProgressRecord = { ...event.progress, at: new Date(now).toISOString() };
    runDir.write(PROGRESS_FILE, record);
  };
}

async function optimizeJob(spec: OptimizeJobSpec, runRoot: string, onProgress: ProgressListener, sharedCache: SharedEntryStore | undefined): Promise<OptimizeSummary> {
  const started = Date.now();
  const method = getMethod(spec.method);
  // Every option checked and the method's full configuration known before anything is written.
  const options = method.resolveOptions(spec.preset, spec.options ?? {});
  // Before anything runs or is written: a backend without a default meta-model stops here.
  const models = resolveMetaModels(spec.backend, spec);
  const runDir = new RunDir(runRoot);
  fs.mkdirSync(runRoot, { recursive: true });
  const runCap = spec.runCaps && spec.runCaps.length > 0 ? Math.max(...spec.runCaps) : undefined;
  // A shared run cap replaces the preset's system-run budget: every method stops at the same cap.
  const budget = { ...(spec.budget ?? BUDGETS[spec.preset]), ...(runCap !== undefined && { systemRuns: runCap }) };
  const caps = spec.caps ?? {};
  // The run's caps bind everything it spends; the method's account (capped at the preset's equal
  // budget) and the test account count apart under it.
  const runBudget = new Budget(caps, { scope: "run" });
  // The accounts are observed: each system run they reserve may send a progress event.
  const progress = new RunProgressTracker(runBudget, recordingProgress(runDir, onProgress));
  const optimizeBudget = progress.account("optimize", budget);
  const testBudget = progress.account("test");
  const spentNow = (): RunSpent => ({ optimize: optimizeBudget.spent, test: testBudget.spent });
  const rt = createRuntime({ system: spec.system, backend: spec.backend, settings: spec.settings, world: spec.world, seed: spec.seed, model: spec.model, budget: optimizeBudget, lm: spec.lm, sharedCache });
  // Where the system executes generated code: its sandbox's plan and what that leaves open on this
  // host, in config.json and result.json (and `none` next to an API key stops here, before any spend).
  const isolation = await isolationRecordOf(rt.system);
  // The checkout, package versions, tfjs backend and test passes this session runs with.
  const environment = await runEnvironment();
  // Recorded with every setting and model resolved: giving a default explicitly is the same run, another value is another run.
  const recorded = runIdentity(spec, rt.settings, models, options);
  if (runDir.exists("config.json")) {
    const previous = runDir.read<{ spec: OptimizeJobSpec }>("config.json", "run config");
    // Run directories written before settings, meta-models and the one test-score definition ran on the defaults.
    // ...and before method options: those ran on the defaults of their preset.
    const previousOptions = previous.spec.options === undefined ? options : recordedOptions(method, previous.spec);
    const { testRepeats: _testRepeats, ...was } = runIdentity(previous.spec, previous.spec.settings ?? rt.settings, { metaModel: previous.spec.metaModel ?? models.metaModel, judgeModel: previous.spec.judgeModel ?? models.judgeModel }, previousOptions ?? {});
    if (stableStringify(was) !== stableStringify(recorded)) {
      const differs = previousOptions !== null && stableStringify({ ...was, options }) === stableStringify(recorded) ? ` with other ${spec.method} options; \`optimas resume\` continues it with its own` : "";
      throw new UsageError(`${runDir.file("config.json")}: this run directory holds another run (${previous.spec.system}/${previous.spec.method}${differs}); use a new --out`);
    }
    // config.json keeps the environment the run started in (run directories from before it get this one); a resume in another is recorded beside it.
    const first = (previous as { environment?: RunEnvironment }).environment ?? environment;
    const resumedElsewhere = stableStringify(first) !== stableStringify(environment);
    runDir.write("config.json", { ...previous, spec: { ...previous.spec, options }, caps, lm: rt.lm, environment: first, ...(resumedElsewhere && { resumed_environment: environment }) });
  } else {
    runDir.write("config.json", { spec: recorded, caps, lm: rt.lm, budget, backend: rt.backendLabel, source: method.source, environment, ...(isolation && { isolation }) });
  }
  const notApplicable = method.notApplicable(rt.system);
  if (notApplicable) throw new UsageError(`method "${spec.method}" does not apply to system "${spec.system}": ${notApplicable}`);

  // A refusal by the run's caps stops the run resumably; one by the method's own budget is the method's business.
  const stopAtCap = (err: unknown): never => {
    if (err instanceof BudgetExceededError && runBudget.refusal) throw BudgetStopError.runStopped(runBudget.refusal, spentNow(), path.resolve(runRoot));
    throw err;
  };
  // Test scores (core/test-score.ts) charge the test account, at the same sample indices before and after.
  const testCtx = () => separateContext(rt, testBudget).ctx.withStage("test");
  // Progress against the most the run may spend: the method's system-run cap (the run's own cap if lower), then the test evaluations.
  const testRuns = TEST_PASSES * rt.data.test.length;
  const optimizeCap = Math.min(budget.systemRuns ?? Infinity, caps.systemRuns ?? Infinity);
  const stored = runDir.exists("baseline.json") ? runDir.read<Partial<Baseline>>("baseline.json", "baseline") : undefined;
  let baseline: Baseline;
  if (stored?.spent && stored.test_passes === TEST_PASSES && stored.test_sample_index === TEST_SAMPLE_INDEX) {
    baseline = stored as Baseline;
    testBudget.restore(baseline.spent);
  } else {
    progress.begin("test before", testRuns + optimizeCap + testRuns);
    const before = await measureTestScore(rt.system, rt.data.test, testCtx()).catch(stopAtCap);
    baseline = { test_before: before.mean, test_passes: before.passes, test_sample_index: TEST_SAMPLE_INDEX, spent: testBudget.spent, failures: before.evaluation.failureCounts.toJSON() };
    runDir.write("baseline.json", baseline);
  }
  progress.begin("optimize", optimizeCap + testRuns);
  const log = (line: string) => progress.line(line);
  const outcome = await method.run({ system: rt.system, train: rt.data.train, val: rt.data.val, ctx: rt.ctx, preset: spec.preset, options, models, runDir, log, runCap }).catch(stopAtCap);
  if (runBudget.refusal) stopAtCap(runBudget.refusal);
  // At most one more test score per cap: the start and the final incumbent reuse the run's own.
  progress.begin("test after", testRuns * (1 + Math.max(0, (spec.runCaps?.length ?? 0) - 1)));
  const test: TestScore = await measureTestScore(rt.system, rt.data.test, testCtx().withSelectors(outcome.evalCtx.selectors)).catch(stopAtCap);
  if (spec.runCaps && spec.runCaps.length > 1) progress.begin("test at caps", testRuns * (spec.runCaps.length - 1));
  const atCaps = spec.runCaps ? await testAtCaps(spec.runCaps, runDir, { before: baseline.test_before, after: test }, (perInput) => measureTestScore(rt.system, rt.data.test, testCtx().withSelectors(pick(outcome.evalCtx.selectors, perInput))), rt.system).catch(stopAtCap) : undefined;
  const spent = spentNow();
  const { failures: methodFailures, ...extra } = (outcome.extra ?? {}) as { failures?: Pick<RunFailures, "collection" | "validation"> };
  const none = new FailureCounts().toJSON();
  const failures: RunFailures = { baseline: baseline.failures ?? none, collection: none, validation: none, ...methodFailures, test: test.evaluation.failureCounts.toJSON() };
  const stages = Object.values(failures).map((f) => FailureCounts.fromJSON(f));
  const summary: OptimizeSummary = {
    system: spec.system,
    method: spec.method,
    world: rt.world,
    seed: spec.seed,
    val_before: outcome.valBefore,
    val_after: outcome.valAfter,
    test_before: baseline.test_before,
    test_after: test.mean,
    test_std_after: test.sd,
    test_se_after: test.se,
    test_ci95_after: test.ci95,
    test_passes: test.passes,
    iterations: outcome.iterations,
    accepted: outcome.accepted,
    status: outcome.status,
    system_runs: spent.optimize.systemRuns,
    llm_calls: spent.optimize.llmCalls,
    tokens: spent.optimize.tokens,
    cost_usd: spent.optimize.costUsd,
    test_system_runs: spent.test.systemRuns,
    test_llm_calls: spent.test.llmCalls,
    test_tokens: spent.test.tokens,
    test_cost_usd: spent.test.costUsd,
    spent,
    caps,
    meta_model: models.metaModel,
    judge_model: models.judgeModel,
    lrf_pair_accuracy: outcome.lrfPairAccuracy,
    backend: rt.backendLabel,
    settings: rt.settings,
    lm: lmRecord(rt),
    environment,
    ...(isolation && { isolation }),
    run_dir: path.resolve(runRoot),
    wall_s: (Date.now() - started) / 1000,
    failed_runs: stages.reduce((n, f) => n + f.failedTotal, 0),
    parse_failures: stages.reduce((n, f) => n + f.parseFailures, 0),
    failures,
    ...(atCaps && { test_at_caps: atCaps }),
    ...extra,
  };
  runDir.write("result.json", summary);
  progress.begin("done", 0);
  return summary;
}

function pick<T>(record: Readonly<Record<string, T>>, keys: readonly string[]): Record<string, T> {
  return Object.fromEntries(Object.entries(record).filter(([k]) => keys.includes(k)));
}

/**
 * Test-scores the incumbent the method held at each cap, read from its trajectory: the final
 * incumbent and the unoptimized start reuse the run's own test scores; any other is loaded into the
 * system, scored, and the final state put back. Per-input choices (Optimas) keep only the
 * components the incumbent chose per input, decided by the final reward model.
 */
async function testAtCaps(
  caps: readonly number[],
  runDir: RunDir,
  known: { before: number; after: TestScore },
  measure: (perInput: readonly string[]) => Promise<TestScore>,
  system: CompoundSystem,
): Promise<CapScore[]> {
  const rows = readTrajectory(runDir);
  const finalId = rows[rows.length - 1]!.incumbent;
  const finalState = system.stateDict();
  const scores = new Map<string, { test: number; se: number | null }>([[finalId, { test: known.after.mean, se: known.after.se }]]);
  if (!scores.has(INITIAL_INCUMBENT)) scores.set(INITIAL_INCUMBENT, { test: known.before, se: null });
  const out: CapScore[] = [];
  try {
    for (const cap of [...caps].sort((a, b) => a - b)) {
      const row = incumbentAtCap(rows, cap);
      if (!scores.has(row.incumbent)) {
        const incumbent = loadIncumbent(runDir, row.incumbent);
        system.loadStateDict(incumbent.stateDict);
        const score = await measure(incumbent.perInput ?? []);
        scores.set(row.incumbent, { test: score.mean, se: score.se });
      }
      const { test, se } = scores.get(row.incumbent)!;
      out.push({ cap, incumbent: row.incumbent, step: row.step, system_runs: row.system_runs, validation_runs: row.validation_runs, test, test_se: se });
    }
  } finally {
    system.loadStateDict(finalState);
  }
  return out;
}
