import { Budget, type BudgetCaps } from "./budget";

/**
 * Where long work stands, for any display: the CLI's bars (cli/progress.ts), a notebook cell, a
 * suite's view of its running cells. Work is counted in system runs, as core/budget.ts counts them
 * (fractional: k of a system's n components cost k/n of a run), against what the work will spend
 * at most: the method's system-run cap (a suite's shared run cap, or the preset's equal budget),
 * then the test evaluations.
 */
export interface RunProgress {
  /** System runs spent so far by the run, optimizing and testing (a resumed run counts its earlier sessions). */
  done: number;
  /** The most the run spends: `done` plus what its current and later phases may still spend. */
  total: number;
  phase: RunPhase;
}

export type RunPhase = "test before" | "optimize" | "test after" | "test at caps" | "done";

/** A plain callback: progress as it changes (throttled), and the lines worth keeping (a finished iteration or stage). */
export type ProgressEvent = { kind: "progress"; progress: RunProgress } | { kind: "line"; line: string };
export type ProgressListener = (event: ProgressEvent) => void;

/** Progress events at most this often (a phase change and the end are always sent). */
export const PROGRESS_INTERVAL_MS = 250;

/**
 * A budget account that tells its owner each time it reserves a system run or an LLM call (the
 * same account as `parent.account(scope, caps)`, observed).
 */
class ObservedAccount extends Budget {
  constructor(
    caps: BudgetCaps,
    scope: string,
    parent: Budget,
    private readonly onReserve: () => void,
  ) {
    super(caps, { scope, parent });
  }

  override reserve(resource: "llmCalls" | "systemRuns", amount?: number): void {
    super.reserve(resource, amount);
    this.onReserve();
  }
}

/**
 * Tracks one run's progress over its phases: the accounts it creates charge `parent` as
 * `parent.account` would, and every reservation may send a (throttled) progress event.
 */
export class RunProgressTracker {
  private readonly accounts: Budget[] = [];
  private phase: RunPhase = "test before";
  /** System runs the current and later phases may still spend, counted from the phase's start. */
  private remaining = 0;
  private phaseStart = 0;
  private lastSent = 0;

  constructor(
    private readonly parent: Budget,
    private readonly listener: ProgressListener,
  ) {}

  account(scope: string, caps: BudgetCaps = {}): Budget {
    const account = new ObservedAccount(caps, scope, this.parent, () => this.tick());
    this.accounts.push(account);
    return account;
  }

  /** System runs spent by every account so far. */
  get done(): number {
    return this.accounts.reduce((n, a) => n + a.spent.systemRuns, 0);
  }

  /** Starts a phase that, with the phases after it, may spend `remaining` more system runs. */
  begin(phase: RunPhase, remaining: number): void {
    this.phase = phase;
    this.phaseStart = this.done;
    this.remaining = Math.max(0, remaining);
    this.send();
  }

  line(line: string): void {
    this.listener({ kind: "line", line });
  }

  /** The current state, as the next event would report it. */
  get progress(): RunProgress {
    const done = this.done;
    return { done, total: this.phase === "done" ? done : Math.max(done, this.phaseStart + this.remaining), phase: this.phase };
  }

  private tick(): void {
    if (Date.now() - this.lastSent >= PROGRESS_INTERVAL_MS) this.send();
  }

  private send(): void {
    this.lastSent = Date.now();
    this.listener({ kind: "progress", progress: this.progress });
  }
}
