/**
 * Token and cost accounting of LM calls, per model, per component and per stage (from ChatMeta),
 * with a JSON snapshot for run records and `restore` for resumed runs. Cache hits are recorded like
 * any other call (and counted in `cachedCalls`), so a run's accounting never depends on the state
 * of the cache. Cost is summed in integer nano-dollars, so totals do not depend on the order in
 * which concurrent calls finish.
 *
 * It also keeps what the endpoint cost in patience: retries and their waits by cause, calls whose
 * retries ran out, and corrupt cache entries met, so run records show every transient failure.
 */
import { fromNanoUsd, toNanoUsd } from "../core/budget";
import type { Usage } from "../core/lm-types";

export interface LedgerTotals {
  calls: number;
  cachedCalls: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

export interface LedgerSnapshot {
  total: LedgerTotals;
  byModel: Record<string, LedgerTotals>;
  byComponent: Record<string, LedgerTotals>;
  byStage: Record<string, LedgerTotals>;
  /** Embedding requests and the texts they embedded (no token counts: endpoints do not report them uniformly). */
  embeddings: { calls: number; cachedCalls: number; texts: number };
  retries: RetryCounts;
  /** Corrupt response-cache entries read (each re-fetched, or fatal in read-only mode). */
  cacheCorrupted: number;
}

/** Transient failures that were retried, and calls that ran out of retries. */
export interface RetryCounts {
  /** Retried attempts. */
  count: number;
  /** Total backoff waited before those retries, in ms. */
  waitMs: number;
  /** Retried attempts by failure cause ("http-429", "timeout", "transport", …). */
  byCause: Record<string, number>;
  /** Calls that failed after their last attempt (a counted failure of the run). */
  exhausted: number;
}

export const emptyRetryCounts = (): RetryCounts => ({ count: 0, waitMs: 0, byCause: {}, exhausted: 0 });

/** The sum of several ledgers' retry counts, causes sorted. */
export function sumRetryCounts(all: readonly RetryCounts[]): RetryCounts {
  const sum = emptyRetryCounts();
  const byCause: Record<string, number> = {};
  for (const r of all) {
    sum.count += r.count;
    sum.waitMs += r.waitMs;
    sum.exhausted += r.exhausted;
    for (const [cause, n] of Object.entries(r.byCause)) byCause[cause] = (byCause[cause] ?? 0) + n;
  }
  for (const cause of Object.keys(byCause).sort()) sum.byCause[cause] = byCause[cause]!;
  return sum;
}

export interface LedgerEntry {
  model: string;
  component?: string;
  stage?: string;
  usage: Usage;
  costUsd: number;
  cached: boolean;
}

/** Calls made without a component or stage in their metadata are filed under this name. */
export const UNATTRIBUTED = "(unattributed)";

interface Tally {
  calls: number;
  cachedCalls: number;
  promptTokens: number;
  completionTokens: number;
  costNano: number;
}

const emptyTally = (): Tally => ({ calls: 0, cachedCalls: 0, promptTokens: 0, completionTokens: 0, costNano: 0 });

function add(tally: Tally, e: LedgerEntry, costNano: number): void {
  tally.calls++;
  if (e.cached) tally.cachedCalls++;
  tally.promptTokens += e.usage.promptTokens;
  tally.completionTokens += e.usage.completionTokens;
  tally.costNano += costNano;
}

const totalsOf = (t: Tally): LedgerTotals => ({
  calls: t.calls,
  cachedCalls: t.cachedCalls,
  promptTokens: t.promptTokens,
  completionTokens: t.completionTokens,
  costUsd: fromNanoUsd(t.costNano),
});

const tallyOf = (t: LedgerTotals): Tally => ({
  calls: t.calls,
  cachedCalls: t.cachedCalls,
  promptTokens: t.promptTokens,
  completionTokens: t.completionTokens,
  costNano: toNanoUsd(t.costUsd),
});

function mapTotals(groups: Map<string, Tally>): Record<string, LedgerTotals> {
  const out: Record<string, LedgerTotals> = {};
  for (const name of [...groups.keys()].sort()) out[name] = totalsOf(groups.get(name)!);
  return out;
}

function mapTallies(record: Record<string, LedgerTotals>): Map<string, Tally> {
  return new Map(Object.entries(record).map(([name, t]) => [name, tallyOf(t)]));
}

export class Ledger {
  private total = emptyTally();
  private byModel = new Map<string, Tally>();
  private byComponent = new Map<string, Tally>();
  private byStage = new Map<string, Tally>();
  private embeddings = { calls: 0, cachedCalls: 0, texts: 0 };
  private retries = emptyRetryCounts();
  private cacheCorrupted = 0;

  record(entry: LedgerEntry): void {
    const costNano = toNanoUsd(entry.costUsd);
    add(this.total, entry, costNano);
    add(group(this.byModel, entry.model), entry, costNano);
    add(group(this.byComponent, entry.component ?? UNATTRIBUTED), entry, costNano);
    add(group(this.byStage, entry.stage ?? UNATTRIBUTED), entry, costNano);
  }

  recordEmbedding(texts: number, cached: boolean): void {
    this.embeddings.calls++;
    if (cached) this.embeddings.cachedCalls++;
    this.embeddings.texts += texts;
  }

  /** A transient failure that will be retried after `waitMs`. */
  recordRetry(cause: string, waitMs: number): void {
    this.retries.count++;
    this.retries.waitMs += Math.round(waitMs);
    this.retries.byCause[cause] = (this.retries.byCause[cause] ?? 0) + 1;
  }

  recordRetriesExhausted(): void {
    this.retries.exhausted++;
  }

  recordCacheCorruption(): void {
    this.cacheCorrupted++;
  }

  /** Plain JSON, with group names sorted, for run records. */
  snapshot(): LedgerSnapshot {
    return {
      total: totalsOf(this.total),
      byModel: mapTotals(this.byModel),
      byComponent: mapTotals(this.byComponent),
      byStage: mapTotals(this.byStage),
      embeddings: { ...this.embeddings },
      retries: sumRetryCounts([this.retries]),
      cacheCorrupted: this.cacheCorrupted,
    };
  }

  /** Continues from a checkpointed snapshot (resume). */
  restore(snapshot: LedgerSnapshot): void {
    this.total = tallyOf(snapshot.total);
    this.byModel = mapTallies(snapshot.byModel);
    this.byComponent = mapTallies(snapshot.byComponent);
    this.byStage = mapTallies(snapshot.byStage);
    this.embeddings = { ...snapshot.embeddings };
    // Checkpoints written before retries were counted have neither field.
    this.retries = sumRetryCounts([snapshot.retries ?? emptyRetryCounts()]);
    this.cacheCorrupted = snapshot.cacheCorrupted ?? 0;
  }
}

function group(groups: Map<string, Tally>, name: string): Tally {
  let tally = groups.get(name);
  if (!tally) groups.set(name, (tally = emptyTally()));
  return tally;
}
