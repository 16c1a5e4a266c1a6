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

export class Budget {
  readonly caps: BudgetCaps;
  private readonly used: BudgetSpent = { llmCalls: 0, tokens: 0, costUsd: 0, systemRuns: 0 };

  constructor(caps: BudgetCaps = {}) {
    this.caps = { ...caps };
  }

  get spent(): BudgetSpent {
    return { ...this.used };
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
    this.used.costUsd += costUsd;
    if (this.caps.tokens !== undefined && this.used.tokens > this.caps.tokens) throw new BudgetExceededError("tokens", this.caps.tokens);
    if (this.caps.costUsd !== undefined && this.used.costUsd > this.caps.costUsd) throw new BudgetExceededError("costUsd", this.caps.costUsd);
  }

  /** Restores counters from a checkpoint (resume). */
  restore(spent: BudgetSpent): void {
    Object.assign(this.used, spent);
  }
}
