/**
 * Hard spending caps. A run has one budget whose caps bound everything it spends, and accounts
 * under it (`account`) that keep their own counts and, optionally, caps of their own: the
 * method's optimization (capped at the preset's equal budget) and the test evaluation. Every
 * charge to an account is charged to its parent too, so the run's caps bind every call. The LM
 * client charges calls and tokens, the compound system charges global runs; crossing a cap throws
 * BudgetExceededError, which optimizers catch to checkpoint and stop cleanly.
 */

export interface BudgetCaps {
  llmCalls?: number;
  tokens?: number;
  costUsd?: number;
  systemRuns?: number;
}

export interface BudgetSpent {
  llmCalls: number;
  tokens: number;
  costUsd: number;
  systemRuns: number;
}

export type BudgetResource = keyof BudgetSpent;

export const BUDGET_RESOURCES: readonly BudgetResource[] = ["systemRuns", "llmCalls", "tokens", "costUsd"];

export class BudgetExceededError extends Error {
  readonly resource: BudgetResource;
  readonly cap: number;
  /** The budget whose cap refused ("run", "optimize", "test", or the default "budget"). */
  readonly scope: string;
  constructor(resource: BudgetResource, cap: number, scope = "budget") {
    super(`budget exhausted: ${resource} reached its cap of ${cap}`);
    this.name = "BudgetExceededError";
    this.resource = resource;
    this.cap = cap;
    this.scope = scope;
  }
}

/** The option that sets each cap (`optimize`, `reproduce`, `resume`); suite files use the BudgetCaps names under "caps". */
export const CAP_FLAGS: Record<BudgetResource, string> = { systemRuns: "--max-system-runs", llmCalls: "--max-llm-calls", tokens: "--max-tokens", costUsd: "--max-cost" };

/** Why `value` is not a set of caps such as `{ "llmCalls": 5000, "costUsd": 2.5 }` (`key` names the bad entry); null when it is one. */
export function capsIssue(value: unknown): { key: string | null; problem: string } | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { key: null, problem: `must be an object such as { "llmCalls": 5000, "costUsd": 2.5 } (keys: ${BUDGET_RESOURCES.join(", ")})` };
  for (const [key, cap] of Object.entries(value)) {
    if (!(BUDGET_RESOURCES as readonly string[]).includes(key)) return { key, problem: `is not a cap (caps: ${BUDGET_RESOURCES.join(", ")})` };
    const whole = key !== "costUsd";
    if (typeof cap !== "number" || !Number.isFinite(cap) || cap < 0 || (whole && !Number.isInteger(cap))) return { key, problem: `must be ${whole ? "an integer" : "a number"} ≥ 0` };
  }
  return null;
}

/** "--max-llm-calls 5000, --max-cost 2.5", for summaries. */
export function formatCaps(caps: BudgetCaps): string {
  return BUDGET_RESOURCES.filter((r) => caps[r] !== undefined).map((r) => `${CAP_FLAGS[r]} ${caps[r]}`).join(", ");
}

const RESOURCE_WORDS: Record<BudgetResource, string> = { systemRuns: "system runs", llmCalls: "LLM calls", tokens: "tokens", costUsd: "USD" };

/**
 * Work stopped because a spend cap was reached: one run (`runStopped`), or the runs of a suite
 * (`suiteStopped`). The line names the cap and how to continue; the CLI exits with EXIT.budget.
 */
export class BudgetStopError extends BudgetExceededError {
  constructor(resource: BudgetResource, cap: number, line: string) {
    super(resource, cap, "run");
    this.name = "BudgetStopError";
    this.message = line;
  }

  /** A run's directory continues with `optimas resume <dir> --max-… <higher>`. */
  static runStopped(refusal: BudgetExceededError, spent: { optimize: BudgetSpent; test: BudgetSpent }, runDir: string): BudgetStopError {
    const r = refusal.resource;
    // Money to 4 decimals; system runs are fractional (k/n of a run), shown to 2.
    const amount = (s: BudgetSpent) => (r === "costUsd" ? s[r].toFixed(4) : r === "systemRuns" ? String(Number(s[r].toFixed(2))) : String(s[r]));
    const total = { ...spent.optimize, [r]: spent.optimize[r] + spent.test[r] };
    return new BudgetStopError(
      r,
      refusal.cap,
      `${runDir}: stopped at its cap ${CAP_FLAGS[r]} ${refusal.cap} (${amount(total)} ${RESOURCE_WORDS[r]} spent: ${amount(spent.optimize)} optimizing, ${amount(spent.test)} testing); ` +
        `raise it and continue with \`optimas resume ${runDir} ${CAP_FLAGS[r]} <higher>\``,
    );
  }

  /** Runs of a suite stopped at the suite's caps: the same command with higher caps continues them. */
  static suiteStopped(stops: readonly { resource: BudgetResource; cap: number }[], where: string): BudgetStopError {
    const caps = [...new Set(stops.map((s) => `${CAP_FLAGS[s.resource]} ${s.cap}`))].join(", ");
    return new BudgetStopError(
      stops[0]!.resource,
      stops[0]!.cap,
      `${where}: ${stops.length} run(s) stopped at their spend cap (${caps}); rerun the same command with a higher cap to continue them`,
    );
  }
}

const NANO_PER_USD = 1e9;

/**
 * System runs are counted in 1/SYSTEM_RUN_UNITS of a run: a rollout that executes k of a system's
 * n components costs k/n of a run (the paper's equal-cost accounting), and integer units sum these
 * fractions exactly, whatever order concurrent runs finish in. 27,720 = lcm(1..12), so k/n is exact
 * for every system of up to 12 components (a larger n is rounded to the nearest unit).
 */
export const SYSTEM_RUN_UNITS = 27_720;

function toRunUnits(runs: number): number {
  return Math.round(runs * SYSTEM_RUN_UNITS);
}

/**
 * Money is summed in integer nano-dollars so totals are exact and do not depend on the order in
 * which concurrent calls finish (floating-point addition is not associative).
 */
export function toNanoUsd(costUsd: number): number {
  return Math.round(costUsd * NANO_PER_USD);
}

export function fromNanoUsd(nano: number): number {
  return nano / NANO_PER_USD;
}

export class Budget {
  readonly caps: BudgetCaps;
  readonly scope: string;
  private readonly parent: Budget | undefined;
  /** systemRuns in SYSTEM_RUN_UNITS. */
  private readonly used: Omit<BudgetSpent, "costUsd"> = { llmCalls: 0, tokens: 0, systemRuns: 0 };
  private costNano = 0;
  /** The first time one of this budget's own caps refused work (null while none has). */
  private firstRefusal: BudgetExceededError | null = null;

  constructor(caps: BudgetCaps = {}, options: { scope?: string; parent?: Budget } = {}) {
    for (const [resource, cap] of Object.entries(caps)) {
      if (cap !== undefined && !(typeof cap === "number" && cap >= 0)) throw new Error(`budget cap ${resource} must be a number ≥ 0 (got ${String(cap)})`);
    }
    this.caps = { ...caps };
    this.scope = options.scope ?? "budget";
    this.parent = options.parent;
  }

  /** A budget whose charges also go to this one: its own counts, its own caps, and this one's caps. */
  account(scope: string, caps: BudgetCaps = {}): Budget {
    return new Budget(caps, { scope, parent: this });
  }

  get spent(): BudgetSpent {
    return { ...this.used, systemRuns: this.used.systemRuns / SYSTEM_RUN_UNITS, costUsd: fromNanoUsd(this.costNano) };
  }

  /** The refusal that stopped work under this budget's own caps, if one did. */
  get refusal(): BudgetExceededError | null {
    return this.firstRefusal;
  }

  private chain(): Budget[] {
    const out: Budget[] = [];
    for (let b: Budget | undefined = this; b; b = b.parent) out.push(b);
    return out;
  }

  private refuse(resource: BudgetResource, cap: number): never {
    const err = new BudgetExceededError(resource, cap, this.scope);
    this.firstRefusal ??= err;
    throw err;
  }

  /** Refuses the next call or run when a cap here is reached (tokens and cost: already crossed by calls in flight). */
  private checkRoom(resource: "llmCalls" | "systemRuns", units: number): void {
    const cap = this.caps[resource];
    const capUnits = resource === "systemRuns" ? toRunUnits(cap ?? 0) : cap;
    if (cap !== undefined && this.used[resource] + units > capUnits!) this.refuse(resource, cap);
    if (resource !== "llmCalls") return;
    if (this.caps.tokens !== undefined && this.used.tokens >= this.caps.tokens) this.refuse("tokens", this.caps.tokens);
    if (this.caps.costUsd !== undefined && this.costNano >= toNanoUsd(this.caps.costUsd)) this.refuse("costUsd", this.caps.costUsd);
  }

  private checkCrossed(): void {
    if (this.caps.tokens !== undefined && this.used.tokens > this.caps.tokens) this.refuse("tokens", this.caps.tokens);
    if (this.caps.costUsd !== undefined && this.costNano > toNanoUsd(this.caps.costUsd)) this.refuse("costUsd", this.caps.costUsd);
  }

  /**
   * Throws before the work starts when `amount` more of `resource` would cross a cap here or above:
   * one LLM call, or a system run's share (1 for a whole run, k/n for k of its n components).
   */
  reserve(resource: "llmCalls" | "systemRuns", amount = 1): void {
    const units = resource === "systemRuns" ? toRunUnits(amount) : amount;
    const chain = this.chain();
    for (const b of chain) b.checkRoom(resource, units);
    for (const b of chain) b.used[resource] += units;
  }

  /** Records tokens and cost after a call, here and above; throws once a cap is crossed so the next step stops. */
  charge(tokens: number, costUsd: number): void {
    const chain = this.chain();
    for (const b of chain) {
      b.used.tokens += tokens;
      b.costNano += toNanoUsd(costUsd);
    }
    for (const b of chain) b.checkCrossed();
  }

  /** Restores this budget's counters from a checkpoint (resume); the parents take the difference. */
  restore(spent: BudgetSpent): void {
    const delta = { llmCalls: spent.llmCalls - this.used.llmCalls, tokens: spent.tokens - this.used.tokens, systemRuns: toRunUnits(spent.systemRuns) - this.used.systemRuns };
    const deltaNano = toNanoUsd(spent.costUsd) - this.costNano;
    for (const b of this.chain()) {
      b.used.llmCalls += delta.llmCalls;
      b.used.tokens += delta.tokens;
      b.used.systemRuns += delta.systemRuns;
      b.costNano += deltaNano;
    }
  }
}
