import { RunContext, type Overrides } from "../core/context";
import { VALIDATION_SAMPLE_INDEX, type MethodArgs, type MethodOutcome } from "../core/method";
import { FailureCounts, FatalRunError, type FailureCountsJson } from "../core/failure";
import type { Example, StateDict } from "../core/system";
import { isNoOp, ValidationGate, type GateDecision, type GateState } from "../core/gate";
import { applyPatch, type VariablePatch } from "../core/variable";
import { BudgetExceededError, type BudgetSpent } from "../core/budget";
import { sharedProtocol, type SharedProtocol } from "./protocol";
import { INITIAL_INCUMBENT, incumbentId, saveIncumbent, trajectoryRow, writeTrajectory, type TrajectoryRow } from "../core/trajectory";
import { GlobalScorer } from "./scorer";

/**
 * The frame every baseline runs in: the initial validation score, the validation gate that makes
 * a change permanent, the step record written to `history.json` after every step, and the clean
 * ends — a budget cap or a STOP file leaves the best state found so far in the system. A fatal
 * error records the stop and its line in `history.json` and propagates (a resume starts over).
 */

/** Changes to some components' variables, by component name. */
export type Patches = Record<string, VariablePatch>;

export function patchOverrides(patches: Patches): Overrides {
  return Object.fromEntries(Object.entries(patches).map(([name, variable]) => [name, { variable }]));
}

/** The gate's decision, or a no-op proposal it skipped without validating (valAfter = valBefore). */
export type GateResult = Pick<GateDecision, "accepted" | "valBefore" | "valAfter"> & (Omit<GateDecision, "accepted" | "valBefore" | "valAfter"> | { skipped: "no-op" });

export interface BaselineHistory {
  method: string;
  /** "running" while the method runs (the file is rewritten after every step). */
  status: MethodOutcome["status"] | "running";
  valBefore: number | null;
  valAfter: number | null;
  iterations: number;
  accepted: number;
  /** Method-wide facts recorded once (candidate tables, settings), by name. */
  notes: Record<string, unknown>;
  steps: Record<string, unknown>[];
  budget: BudgetSpent;
  /** Failed runs by stage: "collection" is every run on training data, "validation" the gate's runs. */
  failures: Record<"collection" | "validation", FailureCountsJson>;
  /** The gate's counts (no-op proposals skipped, float ties rejected) and its next fresh validation pass. */
  gate: Omit<GateState, "incumbent"> | null;
  /** The line of the fatal error that stopped the run. */
  error?: string;
}

class StopRequested extends Error {}

export class BaselineSession {
  readonly protocol: SharedProtocol;
  readonly val: readonly Example[];
  /** Global metric on the validation subset at the shared validation sample index. */
  readonly valScorer: GlobalScorer;
  /** The incumbent's state; its validation passes are pooled in `validationGate`. */
  private best: { state: StateDict } | undefined;
  private validationGate: ValidationGate | undefined;
  private initialVal: number | null = null;
  private readonly steps: Record<string, unknown>[] = [];
  private readonly notes: Record<string, unknown> = {};
  private acceptedCount = 0;
  /** trajectory.csv's rows, the incumbent's id, and what the current step's gate validated. */
  private readonly trajectory: TrajectoryRow[] = [];
  private incumbent = INITIAL_INCUMBENT;
  private stepValScore: number | null = null;
  /** Failed runs of the method's stages (training-data runs, validation runs), by cause. */
  readonly failures = { collection: new FailureCounts(), validation: new FailureCounts() };

  constructor(
    readonly method: string,
    public args: MethodArgs,
  ) {
    this.protocol = sharedProtocol(args.preset, args.models);
    this.val = args.val.slice(0, this.protocol.valSize);
    this.valScorer = new GlobalScorer(args.system, args.ctx, {
      sampleIndex: VALIDATION_SAMPLE_INDEX,
      repeats: this.protocol.valRepeats,
      stage: "validate",
      concurrency: this.protocol.concurrency,
    }, this.failures.validation);
  }

  /** Scores the unchanged system on validation: the bar every change must clear. */
  async start(): Promise<void> {
    const scores = await this.valScorer.evaluate(this.val);
    const { valRepeats, acceptTolerance, acceptStdErrors, incumbentPassCap, earlyRejectStdErrors } = this.protocol;
    this.validationGate = ValidationGate.start(scores.passes, { passes: valRepeats, acceptTolerance, acceptStdErrors, incumbentPassCap, earlyRejectStdErrors, enabled: true });
    this.initialVal = this.validationGate.incumbentScore;
    this.best = { state: this.args.system.stateDict() };
    saveIncumbent(this.args.runDir, INITIAL_INCUMBENT, { stateDict: this.best.state });
    this.addTrajectoryRow(0, false);
  }

  get bestScore(): number {
    if (!this.validationGate) throw new Error("the baseline session has not been started");
    return this.validationGate.incumbentScore;
  }

  /** The incumbent's pooled validation score (null before the session started). */
  private incumbentVal(): number | null {
    return this.validationGate?.incumbentScore ?? null;
  }

  /**
   * The shared validation gate (core/gate.ts, Optimas's rule): a proposal that changes nothing is
   * skipped and counted; otherwise the incumbent is re-measured on fresh validation passes (pooled
   * with its earlier ones) and the system with `patches` applied on the same passes, and the
   * patches become the new best state only if the paired gain clears the bar and float noise;
   * otherwise the system is left as it was.
   */
  async gate(patches: Patches): Promise<GateResult> {
    const system = this.args.system;
    const gate = this.validationGate!;
    const changes = Object.entries(patches).some(([name, patch]) => {
      const current = system.component(name).variable!;
      return !isNoOp(current, applyPatch(current, patch));
    });
    if (!changes) {
      gate.skipNoOp();
      return { accepted: false, valBefore: gate.incumbentScore, valAfter: gate.incumbentScore, skipped: "no-op" };
    }
    const measure = (overrides: Overrides) => async (first: number, passes: number) => (await this.valScorer.evaluate(this.val, overrides, passes, first)).passes;
    const decision = await gate.compare(measure({}), measure(patchOverrides(patches)));
    this.stepValScore = decision.valAfter;
    const accepted = decision.accepted;
    if (accepted) {
      for (const [name, patch] of Object.entries(patches)) {
        const component = system.component(name);
        component.update(applyPatch(component.variable!, patch));
      }
      this.best = { state: system.stateDict() };
      this.acceptedCount++;
      this.incumbent = incumbentId(this.steps.length + 1);
      saveIncumbent(this.args.runDir, this.incumbent, { stateDict: this.best.state });
    }
    return decision;
  }

  /**
   * Starts pass `pass` of the method's schedule (under a shared cap it repeats from the incumbent):
   * the same budget and LM, random streams of its own, so a pass draws other batches and proposals.
   */
  beginPass(pass: number): void {
    const { ctx } = this.args;
    this.args = { ...this.args, ctx: new RunContext({ lm: ctx.lm, seed: ctx.seed + pass * 2 ** 32, budget: ctx.budget, tracer: ctx.tracer }) };
  }

  /** Records a method-wide fact in the history (written with the next step or at the end). */
  note(name: string, value: unknown): void {
    this.notes[name] = value;
  }

  /** Records one step of the method (one iteration), saves the history, and honours a STOP file. */
  step(record: Record<string, unknown>, line: string): void {
    this.steps.push({ step: this.steps.length + 1, ...record, budget: this.args.ctx.budget.spent });
    this.addTrajectoryRow(this.steps.length, this.incumbent === incumbentId(this.steps.length));
    this.save("running");
    this.args.log(`step ${this.steps.length}: ${line}`);
    if (this.args.runDir.stopRequested()) throw new StopRequested();
  }

  private addTrajectoryRow(step: number, accepted: boolean): void {
    const valScore = step === 0 ? this.initialVal : this.stepValScore;
    this.trajectory.push(trajectoryRow(step, this.args.ctx.budget.spent, this.failures.validation.runs, { valScore, incumbentVal: this.incumbentVal(), accepted, incumbent: this.incumbent }));
    this.stepValScore = null;
    writeTrajectory(this.args.runDir, this.trajectory);
  }

  private history(status: BaselineHistory["status"], error?: string): BaselineHistory {
    return {
      method: this.method,
      status,
      valBefore: this.initialVal,
      valAfter: this.incumbentVal(),
      iterations: this.steps.length,
      accepted: this.acceptedCount,
      notes: this.notes,
      steps: this.steps,
      budget: this.args.ctx.budget.spent,
      failures: this.failureJson(),
      gate: this.gateCounts(),
      ...(error !== undefined ? { error } : {}),
    };
  }

  private save(status: BaselineHistory["status"], error?: string): void {
    this.args.runDir.write("history.json", this.history(status, error));
  }

  private gateCounts(): BaselineHistory["gate"] {
    if (!this.validationGate) return null;
    const { incumbent: _pooled, ...counts } = this.validationGate.state;
    return counts;
  }

  private failureJson(): BaselineHistory["failures"] {
    return { collection: this.failures.collection.toJSON(), validation: this.failures.validation.toJSON() };
  }

  /** Records a fatal stop: the history says "stopped" with the error's line; the caller rethrows. */
  recordFatal(err: FatalRunError): void {
    this.save("stopped", err.message);
  }

  /** Ends the run: the best state goes back into the system, history and state are written. */
  finish(status: MethodOutcome["status"]): MethodOutcome {
    if (this.best) this.args.system.loadStateDict(this.best.state);
    this.save(status);
    this.args.runDir.write("system-state.json", this.args.system.stateDict());
    return {
      evalCtx: this.args.ctx,
      status,
      valBefore: this.initialVal,
      valAfter: this.incumbentVal(),
      iterations: this.steps.length,
      accepted: this.acceptedCount,
      lrfPairAccuracy: null,
      extra: { failures: this.failureJson(), gate: this.gateCounts() },
    };
  }
}

/** Runs a baseline's body in a session; a budget cap or STOP file ends it cleanly at the best state. */
export async function runBaseline(method: string, args: MethodArgs, body: (session: BaselineSession) => Promise<void>): Promise<MethodOutcome> {
  const session = new BaselineSession(method, args);
  let status: MethodOutcome["status"] = "finished";
  try {
    await session.start();
    await body(session);
    // Under a shared system-run cap the schedule repeats until the cap refuses; a pass that spent
    // no system run has nothing left to try.
    for (let pass = 1; args.runCap !== undefined; pass++) {
      const spent = args.ctx.budget.spent.systemRuns;
      session.beginPass(pass);
      await body(session);
      if (args.ctx.budget.spent.systemRuns === spent) break;
    }
  } catch (err) {
    if (err instanceof StopRequested) status = "stopped";
    else if (err instanceof BudgetExceededError) status = "budget";
    else {
      if (err instanceof FatalRunError) session.recordFatal(err);
      throw err;
    }
  }
  return session.finish(status);
}
