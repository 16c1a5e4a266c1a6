import type { Component } from "../core/component";
import type { RunContext, ValueSelector } from "../core/context";
import type { CompoundSystem, Example, StateDict } from "../core/system";
import { shuffled } from "../core/random";
import { FailureCounts, FatalRunError, type FailureCountsJson } from "../core/failure";
import { BudgetExceededError, type BudgetSpent } from "../core/budget";
import { LocalRewardModel, type PairAccuracy, type SavedLocalRewardModel } from "../reward/lrf";
import { defaultFeaturizer } from "../reward/featurizers";
import type { Featurizer } from "../reward/types";
import { collectPreferences, type CollectedPair, type CollectOptions } from "./collect";
import type { OptimasConfig } from "./config";
import { LrfReward, type LocalReward } from "./local-reward";
import { expectedGap, meanGap, selectComponent } from "./select";
import { addTallies, isAligned, tallyAccuracy, wilsonLowerBound, type AlignmentTallies } from "./alignment";
import { buildInputPool, upstreamKey, type InputPool } from "./input-pool";
import type { RunDir } from "../core/run-dir";
import { VALIDATION_SAMPLE_INDEX } from "../core/method";
import { isNoOp, ValidationGate, type GateDecision, type GateRule, type GateState } from "../core/gate";
import { INITIAL_INCUMBENT, incumbentId, saveIncumbent, trajectoryRow, writeTrajectory, type TrajectoryRow } from "../core/trajectory";
import { optimizePrompt } from "./optimizers/prompt";
import { optimizeSearch, perInputSelector } from "./optimizers/search";
import { scoredByMetric } from "./optimizers/score";
import { optimizeWeights } from "./optimizers/weights";
import type { InputRow, LocalOptimizerArgs, LocalOptimizerResult, ScoredCandidate } from "./optimizers/types";

/**
 * The Optimas loop (§5 of the algorithm spec, flaws of §7 fixed): train one LRF head per
 * optimizable component on preference pairs labelled by the global metric; then each iteration
 * select a component, collect fresh on-policy pairs for it, adapt its LRF head on a replay buffer,
 * optimize the component against the head with the optimizer for its variable type, and keep the
 * change only if the global metric on the same validation examples (same seeds) improves.
 */

export interface IterationRecord {
  iteration: number;
  component: string;
  selectionProbabilities: Record<string, number>;
  freshPairs: number;
  /** Accuracy of the LRF head on this iteration's fresh pairs, before adapting on them (alignment on new data). */
  lrfFreshPairAccuracy: number | null;
  /** The head's out-of-sample pair tally after this iteration's fresh pairs (held-out initial + on-policy), and its Wilson lower bound. */
  lrfAlignment: { accuracy: number | null; pairs: number; lowerBound: number };
  /** Set when the head was not above chance: fresh pairs were collected, nothing was optimized against it. */
  skipped?: "lrf-at-chance";
  /** The component's scoring pool was (re)built this iteration by upstream-only runs (else reused). */
  poolBuilt: boolean;
  candidates: ScoredCandidate[];
  /** Set when the proposal changed nothing: it was not validated (no system run), and counted in the gate's `noOpSkips`. */
  validationSkipped?: "no-op";
  /** The gate's comparison (absent when nothing was validated). */
  gate?: Omit<GateDecision, "accepted" | "valBefore" | "valAfter">;
  /** The incumbent's pooled validation score, and the candidate's on this iteration's passes (= valBefore when nothing was validated). */
  valBefore: number;
  valAfter: number;
  accepted: boolean;
  perInput: boolean;
  budget: BudgetSpent;
  /** Wall time per stage; excluded from determinism comparisons. */
  ms: { collect: number; lrf: number; optimize: number; validate: number };
}

export interface Checkpoint {
  format: "optimas-checkpoint";
  version: 1;
  nextIteration: number;
  status: "running" | "finished" | "stopped" | "budget";
  /** The line of the fatal error that stopped the run (status "stopped"); resume clears it. */
  error?: string;
  initialVal: number;
  /** perExample: null where every validation pass of the example failed. */
  best: { score: number; perExample: (number | null)[]; iteration: number };
  stateDict: StateDict;
  perInput: string[];
  buffers: Record<string, CollectedPair[]>;
  heldOut: CollectedPair[];
  offlineGaps: Record<string, number>;
  /** SHA-256 of the lrf.json this checkpoint goes with (absent in checkpoints from before it was recorded). */
  lrfSha256?: string;
  /** Expected gap of each component's latest collection, for selection (select.ts). */
  recentGaps: Record<string, number>;
  lastSelected: Record<string, number>;
  acceptedAny: boolean;
  /** Each component's local scoring pool (input-pool.ts); absent in checkpoints from before pools. */
  inputPools?: Record<string, InputPool>;
  /** On-policy fresh-pair tallies per component, each measured before the head adapted on them (absent in older checkpoints). */
  freshAlignment?: AlignmentTallies;
  history: IterationRecord[];
  initialLrf: { pairs: number; heldOutAccuracy: PairAccuracy | null };
  budget: BudgetSpent;
  /** Runs and failed runs of every committed collection and validation (absent in older checkpoints). */
  failures?: OptimasFailures;
  /** The gate's pooled incumbent passes and counts (core/gate.ts; absent in older checkpoints, rebuilt from `best`). */
  gate?: GateState;
  /** trajectory.csv's rows: the start, then one per committed iteration (absent in older checkpoints). */
  trajectory?: TrajectoryRow[];
}

export interface OptimasFailures {
  collection: FailureCountsJson;
  validation: FailureCountsJson;
}

function emptyFailures(): OptimasFailures {
  return { collection: new FailureCounts().toJSON(), validation: new FailureCounts().toJSON() };
}

/** Adds one iteration's (or the initialization's) counts to the checkpoint's. */
function addFailures(into: OptimasFailures, collection: FailureCounts, validation: FailureCounts): OptimasFailures {
  return {
    collection: FailureCounts.fromJSON(into.collection).merge(collection.toJSON()).toJSON(),
    validation: FailureCounts.fromJSON(into.validation).merge(validation.toJSON()).toJSON(),
  };
}

export interface OptimasRunArgs {
  system: CompoundSystem;
  train: readonly Example[];
  val: readonly Example[];
  ctx: RunContext;
  config: OptimasConfig;
  runDir: RunDir;
  /** Alternative local reward (the judge ablation); default: the LRF. */
  makeLocalReward?: () => LocalReward;
  featurizer?: Featurizer;
  onEvent?: (event: OptimasEvent) => void;
  /** The comparison's shared system-run cap (core/method.ts): iterations go on until the budget refuses. */
  runCap?: number;
}

export type OptimasEvent =
  | { kind: "stage"; stage: string }
  | { kind: "iteration"; record: IterationRecord; total: number };

export interface OptimasOutcome {
  checkpoint: Checkpoint;
  /** The context to evaluate the optimized system with (per-input selectors installed). */
  evalCtx: RunContext;
  lrf: LocalRewardModel;
}


function collectOptions(config: OptimasConfig, round: number): CollectOptions {
  return { ...config, round };
}

function lastN<T>(items: readonly T[], n: number): T[] {
  return n <= 0 ? [] : items.slice(Math.max(0, items.length - n));
}

export async function runOptimas(args: OptimasRunArgs): Promise<OptimasOutcome> {
  const { system, config, runDir } = args;
  const ctx = args.ctx;
  const components = system.optimizableComponents;
  if (components.length === 0) throw new Error(`system "${system.name}" has no optimizable component`);
  const val = args.val.slice(0, config.valSize);
  const byId = new Map([...args.train, ...args.val].map((e) => [e.id, e]));
  const emit = args.onEvent ?? (() => undefined);

  let cp: Checkpoint;
  let lrf: LocalRewardModel;
  if (runDir.exists("checkpoint.json")) {
    cp = runDir.read<Checkpoint>("checkpoint.json", "checkpoint");
    // Resuming a run that a STOP file or a fatal error ended continues it (the caller removed the STOP file).
    if (cp.status === "stopped") cp.status = "running";
    delete cp.error;
    cp.failures ??= emptyFailures();
    cp.inputPools ??= {};
    cp.freshAlignment ??= {};
    // Checkpoints from before input pools kept a bank of collected inputs, which nothing reads now.
    delete (cp as { inputBank?: unknown }).inputBank;
    cp.trajectory ??= [];
    // Checkpoints written before selection used expected gaps: start from the buffers' pair gaps.
    cp.recentGaps ??= Object.fromEntries(Object.entries(cp.buffers).map(([name, pairs]) => [name, meanGap(pairs)]));
    system.loadStateDict(cp.stateDict);
    ctx.budget.restore(cp.budget);
    runDir.settlePending("lrf.json", cp.lrfSha256, "reward model");
    lrf = await LocalRewardModel.deserialize(runDir.read<SavedLocalRewardModel>("lrf.json", "reward model"), { lm: ctx.lm, source: runDir.file("lrf.json") });
  } else {
    ({ cp, lrf } = await initialize(args, val, emit));
  }
  const gate = cp.gate ? new ValidationGate(cp.gate, gateRule(config)) : ValidationGate.fromMeans(cp.best.perExample, gateRule(config));
  const reward = args.makeLocalReward ? args.makeLocalReward() : new LrfReward(lrf);
  const selectorsFor = (names: readonly string[]): Record<string, ValueSelector> =>
    Object.fromEntries(names.map((n) => [n, perInputSelector(system.component(n), reward)]));
  // Counts of the iteration in progress; they join the checkpoint's when the iteration commits.
  let collected = new FailureCounts();
  let validated = new FailureCounts();
  /** Validation passes of the system as it is, with `perInput` components selecting per input. */
  const validate = (perInput: readonly string[]) => async (first: number, passes: number) => {
    const r = await system.evaluate(val, ctx.withStage("validate").withSample(first).withSelectors(selectorsFor(perInput)), { concurrency: config.concurrency, repeats: passes });
    validated.merge(r.failureCounts.toJSON());
    return r.scores;
  };

  const save = async () => {
    cp.budget = ctx.budget.spent;
    cp.gate = gate.state;
    runDir.write("system-state.json", cp.stateDict);
    cp.lrfSha256 = runDir.writePending("lrf.json", await lrf.serialize());
    runDir.write("checkpoint.json", cp); // the commit point: the LRF and the loop state move together
    runDir.commitPending("lrf.json");
    writeTrajectory(runDir, cp.trajectory!);
  };
  // Under a shared cap the iteration count no longer ends the run; a full round of iterations that
  // spent no system run (nothing left to collect or validate) does.
  const iterationLimit = args.runCap === undefined ? config.iterations : Infinity;
  const idle = () => args.runCap !== undefined && idleIterations(cp.history) >= components.length;

  try {
    while (cp.nextIteration < iterationLimit && !idle() && cp.status === "running") {
      if (runDir.stopRequested()) {
        cp.status = "stopped";
        break;
      }
      const it = cp.nextIteration;
      collected = new FailureCounts();
      validated = new FailureCounts();
      const ms = { collect: 0, lrf: 0, optimize: 0, validate: 0 };
      const selection = selectComponent(
        {
          components: components.map((c) => c.name),
          recentGaps: cp.recentGaps,
          offlineGaps: cp.offlineGaps,
          lastSelected: cp.lastSelected,
          lastAccepted: Object.fromEntries(cp.history.map((h) => [h.component, h.accepted])),
          alignment: alignmentOf(cp),
          scoredExactly: components.map((c) => c.name).filter((n) => scoredByMetric(system, n, config)),
          iteration: it,
          rule: config.selection,
          temperature: config.selectionTemperature,
          cooldown: config.cooldown,
          alignmentZ: config.alignmentZ,
          exploration: config.selectionExploration,
          explorationTurns: config.explorationTurns,
          atChanceTurns: countBy(cp.history.filter((h) => h.skipped === "lrf-at-chance")),
          noOpStreak: noOpStreaks(cp.history),
        },
        ctx.rng(`select/${it}`),
      );
      const component = system.component(selection.component);

      // Fresh on-policy pairs for the selected component, then LRF adaptation on the replay buffer.
      let t = Date.now();
      let freshPairs: CollectedPair[] = [];
      let freshAccuracy: number | null = null;
      if (config.adaptLrf && (config.freshData === "always" || cp.acceptedAny)) {
        const subset = shuffled(args.train, ctx.rng(`fresh/${it}`)).slice(0, config.perIterationNewData);
        const fresh = await collectPreferences(system, component.name, subset, ctx.withSelectors(selectorsFor(cp.perInput)), collectOptions(config, it + 1));
        freshPairs = fresh.pairs;
        collected.merge(fresh.failureCounts.toJSON());
        cp.recentGaps[component.name] = expectedGap(fresh.examples);
      }
      ms.collect = Date.now() - t;
      t = Date.now();
      if (freshPairs.length > 0) {
        const measured = await lrf.pairAccuracy(freshPairs);
        freshAccuracy = measured.accuracy;
        cp.freshAlignment = addTallies(cp.freshAlignment!, measured);
        cp.buffers[component.name] = lastN([...(cp.buffers[component.name] ?? []), ...freshPairs], config.replayBufferSize);
        await lrf.adapt(lastN(cp.buffers[component.name]!, config.adaptTrainSize), { epochs: config.adaptEpochs, learningRate: config.lrfLearningRate, marginMode: config.marginMode });
      }
      ms.lrf = Date.now() - t;

      // Local optimization against the component's local reward, if its head is known to beat chance.
      t = Date.now();
      const tally = alignmentOf(cp)[component.name];
      const atChance = config.requireAlignedLrf && !scoredByMetric(system, component.name, config) && !isAligned(tally, config.alignmentZ);
      const snapshot = system.stateDict();
      let result: LocalOptimizerResult | undefined;
      let poolBuilt = false;
      if (!atChance) {
        const optimizerCtx = ctx.withSelectors(selectorsFor(cp.perInput));
        const { pool, built } = await inputPoolOf(cp, args, component.name, optimizerCtx, collected);
        poolBuilt = built;
        const rows: InputRow[] = pool.rows.map((b) => ({ example: byId.get(b.exampleId)!, inputs: b.inputs })).filter((r) => r.example !== undefined);
        const optimizerArgs: LocalOptimizerArgs = { system, component, rows, reward, ctx: optimizerCtx, config, round: it, winners: cp.buffers[component.name] ?? [] };
        result = rows.length === 0 ? undefined : await localOptimize(component, optimizerArgs);
      }
      // A proposal that changes nothing (the same value, bit-identical weights, no new per-input
      // selection) is not validated: the gate counts it as a skip.
      const addsPerInput = result?.perInput === true && !cp.perInput.includes(component.name);
      const noOp = result !== undefined && !addsPerInput && (result.unchanged === true || isNoOp(component.variable, result.variable));
      const proposal = noOp ? undefined : result;
      ms.optimize = Date.now() - t;

      // Validation gate (core/gate.ts): the incumbent re-measured on fresh passes and pooled with its
      // earlier ones (restarted when its per-input selectors follow the adapted LRF), the candidate on the same passes.
      t = Date.now();
      const perInput = proposal?.perInput ? [...new Set([...cp.perInput, component.name])] : cp.perInput;
      let decision: GateDecision | undefined;
      if (noOp) gate.skipNoOp();
      if (proposal) {
        const measureCandidate = (first: number, passes: number) => {
          system.component(component.name).update(proposal.variable);
          return validate(perInput)(first, passes);
        };
        decision = await gate.compare(validate(cp.perInput), measureCandidate, { restartIncumbent: cp.perInput.length > 0 });
      }
      const accepted = decision?.accepted ?? false;
      cp.best = { ...cp.best, score: gate.incumbentScore, perExample: gate.incumbentPerExample };
      if (accepted) {
        cp.best = { score: gate.incumbentScore, perExample: gate.incumbentPerExample, iteration: it + 1 };
        cp.stateDict = system.stateDict();
        cp.perInput = perInput;
        cp.acceptedAny = true;
        saveIncumbent(runDir, incumbentId(it + 1), { stateDict: cp.stateDict, perInput: cp.perInput });
      } else {
        system.loadStateDict(snapshot);
      }
      ms.validate = Date.now() - t;

      cp.lastSelected[component.name] = it;
      const record: IterationRecord = {
        iteration: it + 1,
        component: component.name,
        selectionProbabilities: selection.probabilities,
        freshPairs: freshPairs.length,
        lrfFreshPairAccuracy: freshAccuracy,
        lrfAlignment: { accuracy: tallyAccuracy(tally), pairs: tally?.pairs ?? 0, lowerBound: wilsonLowerBound(tally, config.alignmentZ) },
        ...(atChance ? { skipped: "lrf-at-chance" as const } : {}),
        poolBuilt,
        candidates: result?.candidates ?? [],
        ...(noOp ? { validationSkipped: "no-op" as const } : {}),
        ...(decision ? { gate: { gain: decision.gain, bar: decision.bar, floatTie: decision.floatTie, incumbentPasses: decision.incumbentPasses, candidatePasses: decision.candidatePasses, earlyRejected: decision.earlyRejected } } : {}),
        valBefore: decision?.valBefore ?? cp.best.score,
        valAfter: decision?.valAfter ?? cp.best.score,
        accepted,
        perInput: proposal?.perInput ?? false,
        budget: ctx.budget.spent,
        ms,
      };
      cp.history.push(record);
      cp.failures = addFailures(cp.failures!, collected, validated);
      cp.trajectory!.push(
        trajectoryRow(it + 1, ctx.budget.spent, cp.failures.validation.runs, { valScore: decision?.valAfter ?? null, incumbentVal: cp.best.score, accepted, incumbent: incumbentId(cp.best.iteration) }),
      );
      cp.nextIteration = it + 1;
      await save();
      emit({ kind: "iteration", record, total: config.iterations });
    }
    if (cp.status === "running") cp.status = "finished";
  } catch (err) {
    if (err instanceof FatalRunError) recordFatalStop(runDir, err);
    if (!(err instanceof BudgetExceededError)) throw err;
    // The interrupted iteration is dropped: the system goes back to the last checkpointed state.
    system.loadStateDict(cp.stateDict);
    cp.status = "budget";
  }
  // A budget stop leaves the committed checkpoint as it was (spend, LRF, buffers), like a kill: a
  // resume after the cap is raised redoes the dropped iteration and ends as an uncapped run.
  if (cp.status !== "budget") await save();
  return { checkpoint: cp, evalCtx: ctx.withSelectors(selectorsFor(cp.perInput)), lrf };
}

/**
 * A fatal error drops the interrupted iteration like a kill would: the committed checkpoint stays
 * as it was (budget, buffers, counts), marked "stopped" with the error's line, so `optimas resume`
 * redoes the iteration and ends exactly as an uninterrupted run.
 */
function recordFatalStop(runDir: RunDir, err: FatalRunError): void {
  if (!runDir.exists("checkpoint.json")) return; // stopped during initialization: a resume starts it again
  const committed = runDir.read<Checkpoint>("checkpoint.json", "checkpoint");
  runDir.write("checkpoint.json", { ...committed, status: "stopped", error: err.message });
}

/** Per component, how many of the iterations turned to it. */
function countBy(history: readonly IterationRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { component } of history) counts[component] = (counts[component] ?? 0) + 1;
  return counts;
}

/** Per component, how many of its latest turns in a row proposed no change. */
export function noOpStreaks(history: readonly IterationRecord[]): Record<string, number> {
  const streaks: Record<string, number> = {};
  const ended = new Set<string>();
  for (let i = history.length - 1; i >= 0; i--) {
    const { component, validationSkipped } = history[i]!;
    if (ended.has(component)) continue;
    if (validationSkipped === "no-op") streaks[component] = (streaks[component] ?? 0) + 1;
    else ended.add(component);
  }
  return streaks;
}

/** Iterations at the end of the history that spent no system run. */
function idleIterations(history: readonly IterationRecord[]): number {
  let idle = 0;
  for (let i = history.length - 1; i > 0 && history[i]!.budget.systemRuns === history[i - 1]!.budget.systemRuns; i--) idle++;
  return idle;
}

/**
 * Out-of-sample pair tallies per component: the initial held-out pairs plus every on-policy fresh
 * collection, each measured before the head trained on it.
 */
export function alignmentOf(cp: Checkpoint): AlignmentTallies {
  const heldOut = cp.initialLrf.heldOutAccuracy;
  const initial = heldOut ? addTallies({}, heldOut) : {};
  const fresh = cp.freshAlignment ?? {};
  const out: AlignmentTallies = { ...initial };
  for (const [c, t] of Object.entries(fresh)) out[c] = { credit: (out[c]?.credit ?? 0) + t.credit, pairs: (out[c]?.pairs ?? 0) + t.pairs };
  return out;
}

/** The component's scoring pool, rebuilt (upstream-only runs, counted in `counts`) only when its upstream state changed. */
async function inputPoolOf(cp: Checkpoint, args: OptimasRunArgs, name: string, ctx: RunContext, counts: FailureCounts): Promise<{ pool: InputPool; built: boolean }> {
  const { system, config } = args;
  const existing = cp.inputPools![name];
  if (existing && existing.upstreamKey === upstreamKey(system, system.indexOf(name), cp.perInput)) return { pool: existing, built: false };
  const examples = shuffled(args.train, ctx.rng(`pool/${name}`)).slice(0, config.localTrainSize);
  const built = await buildInputPool(system, name, examples, ctx, { concurrency: config.concurrency, perInput: cp.perInput });
  counts.merge(built.failureCounts.toJSON());
  cp.inputPools![name] = built.pool;
  return { pool: built.pool, built: true };
}

function gateRule(config: OptimasConfig): GateRule {
  const { valRepeats: passes, acceptTolerance, acceptStdErrors, incumbentPassCap, earlyRejectStdErrors, validationGate: enabled } = config;
  return { passes, acceptTolerance, acceptStdErrors, incumbentPassCap, earlyRejectStdErrors, enabled };
}

function localOptimize(component: Component, args: LocalOptimizerArgs): Promise<LocalOptimizerResult> {
  switch (component.variable!.kind) {
    case "prompt":
      return optimizePrompt(args);
    case "params":
    case "model":
      return optimizeSearch(args);
    case "weights":
      return optimizeWeights(args);
  }
}

async function initialize(args: OptimasRunArgs, val: readonly Example[], emit: (e: OptimasEvent) => void): Promise<{ cp: Checkpoint; lrf: LocalRewardModel }> {
  const { system, config, ctx } = args;
  const components = system.optimizableComponents;
  emit({ kind: "stage", stage: "initial validation" });
  const initial = await system.evaluate(val, ctx.withStage("validate").withSample(VALIDATION_SAMPLE_INDEX), { concurrency: config.concurrency, repeats: config.valRepeats });
  // The trajectory's start: the unoptimized system after its initial validation (written now, so a
  // cap that refuses the offline collection still leaves the incumbent every cap holds).
  const start = trajectoryRow(0, ctx.budget.spent, initial.failureCounts.runs, { valScore: initial.mean, incumbentVal: initial.mean, accepted: false, incumbent: INITIAL_INCUMBENT });
  saveIncumbent(args.runDir, INITIAL_INCUMBENT, { stateDict: system.stateDict(), perInput: [] });
  writeTrajectory(args.runDir, [start]);

  emit({ kind: "stage", stage: "offline preference collection" });
  const trainSet = args.train.slice(0, config.initialTrainSize);
  const heldOutIds = new Set(shuffled(trainSet.map((e) => e.id), ctx.rng("held-out")).slice(0, Math.round(config.heldOutShare * trainSet.length)));
  const buffers: Record<string, CollectedPair[]> = {};
  const heldOut: CollectedPair[] = [];
  const recentGaps: Record<string, number> = {};
  const collected = new FailureCounts();
  for (const c of components) {
    const collection = await collectPreferences(system, c.name, trainSet, ctx, collectOptions(config, 0));
    collected.merge(collection.failureCounts.toJSON());
    recentGaps[c.name] = expectedGap(collection.examples);
    buffers[c.name] = lastN(collection.pairs.filter((p) => !heldOutIds.has(p.exampleId)), config.replayBufferSize);
    heldOut.push(...collection.pairs.filter((p) => heldOutIds.has(p.exampleId)));
  }

  emit({ kind: "stage", stage: "initial LRF training" });
  const lrf = await LocalRewardModel.create({
    heads: components.map((c) => ({ name: c.name, description: c.description })),
    featurizer: args.featurizer ?? defaultFeaturizer(),
    seed: ctx.seed,
  });
  const trainPairs = components.flatMap((c) => buffers[c.name]!);
  await lrf.train(trainPairs, { epochs: config.lrfEpochs, learningRate: config.lrfLearningRate, marginMode: config.marginMode });
  const heldOutAccuracy = heldOut.length > 0 ? await lrf.pairAccuracy(heldOut) : null;
  const offlineGaps = Object.fromEntries(components.map((c) => [c.name, meanGap(buffers[c.name]!)]));
  const gate = ValidationGate.start(initial.scores, gateRule(config));
  const cp: Checkpoint = {
    format: "optimas-checkpoint",
    version: 1,
    nextIteration: 0,
    status: "running",
    initialVal: gate.incumbentScore,
    best: { score: gate.incumbentScore, perExample: gate.incumbentPerExample, iteration: 0 },
    stateDict: system.stateDict(),
    perInput: [],
    buffers,
    heldOut,
    offlineGaps,
    recentGaps,
    lastSelected: {},
    acceptedAny: false,
    inputPools: {},
    freshAlignment: {},
    history: [],
    initialLrf: { pairs: trainPairs.length, heldOutAccuracy },
    budget: ctx.budget.spent,
    failures: addFailures(emptyFailures(), collected, initial.failureCounts),
    trajectory: [start],
    gate: gate.state,
  };
  return { cp, lrf };
}
