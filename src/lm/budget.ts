/**
 * Hard spending caps shared by everything running under one RunContext. The LM client charges
 * calls and tokens, the compound system charges global runs; crossing a cap throws
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

export class BudgetExceededError extends Error {
  readonly resource: BudgetResource;
  readonly cap: number;
  constructor(resource: BudgetResource, cap: number) {
    super(`budget exhausted: ${resource} reached its cap of ${cap}`);
    this.name = "BudgetExceededError";
    this.resource = resource;
    this.cap = cap;
  }
}

const NANO_PER_USD = 1e9;

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
  private readonly used: Omit<BudgetSpent, "costUsd"> = { llmCalls: 0, tokens: 0, systemRuns: 0 };
  private costNano = 0;

  constructor(caps: BudgetCaps = {}) {
    this.caps = { ...caps };
  }

  get spent(): BudgetSpent {
    return { ...this.used, costUsd: fromNanoUsd(this.costNano) };
  }

  /** Throws before the work starts when one more unit of `resource` would cross its cap. */
  reserve(resource: "llmCalls" | "systemRuns"): void {
    const cap = this.caps[resource];
    if (cap !== undefined && this.used[resource] + 1 > cap) throw new BudgetExceededError(resource, cap);
    this.used[resource] += 1;
  }

  /** Records tokens and cost after a call; throws once a cap is crossed so the next step stops. */
  charge(tokens: number, costUsd: number): void {
    this.used.tokens += tokens;
    this.costNano += toNanoUsd(costUsd);
    if (this.caps.tokens !== undefined && this.used.tokens > this.caps.tokens) throw new BudgetExceededError("tokens", this.caps.tokens);
    if (this.caps.costUsd !== undefined && this.costNano > toNanoUsd(this.caps.costUsd)) throw new BudgetExceededError("costUsd", this.caps.costUsd);
  }

  /** Restores counters from a checkpoint (resume). */
  restore(spent: BudgetSpent): void {
    this.used.llmCalls = spent.llmCalls;
    this.used.tokens = spent.tokens;
    this.used.systemRuns = spent.systemRuns;
    this.costNano = toNanoUsd(spent.costUsd);
  }
}
