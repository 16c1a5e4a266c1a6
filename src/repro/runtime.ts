import * as path from "node:path";
import { RunContext } from "../core/context";
import { LLMComponent } from "../core/llm-component";
import type { CompoundSystem } from "../core/system";
import { OracleStore } from "../data/oracle";
import { Budget, type BudgetCaps } from "../core/budget";
import { ResponseCache, type SharedEntryStore } from "../lm/cache";
import { LMClient } from "../lm/client";
import { WaitNotices, type LMClientEvent } from "../lm/events";
import { Ledger, sumRetryCounts, type RetryCounts } from "../lm/ledger";
import { OpenAIProvider } from "../lm/openai-provider";
import { parseSimLMVersion, SimLM } from "../lm/sim/simlm";
import type { LMProvider } from "../core/lm-types";
import { getSystem, type Splits, type SystemEntry } from "../systems/registry";
import { defaultSetting, resolveSettings, SIMLM_VERSION_SETTING, type BackendKind, type SystemSettings } from "../systems/settings";
import { lmClientTiming, resolveLMSettings, type LMSettings, type ResolvedLMSettings } from "./lm-settings";

export type { BackendKind } from "../systems/settings";

export interface RuntimeOptions {
  system: string;
  backend?: BackendKind;
  /** Values for the system's settings (`--set`); the rest take the backend's defaults. */
  settings?: Readonly<Record<string, string>>;
  world?: number;
  seed?: number;
  /** Sets the model of every LLM component that has no model variable. */
  model?: string;
  /** The run's budget, or caps for a fresh one (default: uncapped). */
  budget?: Budget | BudgetCaps;
  cacheDir?: string;
  /** Keep cache entries in this store instead of `cacheDir` (`optimas worker --cache-url`). */
  sharedCache?: SharedEntryStore;
  /** Timeout, retries, maximum Retry-After and cache mode; the rest take their defaults. */
  lm?: LMSettings;
  /** Hears of every retry and corrupt cache entry (default: rate-limited `lm: …` lines on stderr). */
  onLMEvent?: (event: LMClientEvent) => void;
  concurrency?: number;
}

/** A system ready to run: its data, an LM client with budget and ledger, and a run context. */
export interface Runtime {
  entry: SystemEntry;
  /** Every setting of the system, resolved for the backend. */
  settings: SystemSettings;
  system: CompoundSystem;
  data: Splits;
  client: LMClient;
  ctx: RunContext;
  ledger: Ledger;
  /** The line every result carries: "simlm@2, world 0" or the endpoint. */
  backendLabel: string;
  /** The client settings in force, for run records. */
  lm: ResolvedLMSettings;
  /** The ledgers of this runtime's clients (its own, then each separate context's): see lmRecord. */
  ledgers: Ledger[];
  onLMEvent: (event: LMClientEvent) => void;
  world: number | null;
  seed: number;
}

/**
 * A context on the same endpoint (and cache) with its own budget and ledger: test evaluations
 * charge the run's test account, not the optimizer's (both count against the run's caps).
 */
export function separateContext(rt: Runtime, budget: Budget = new Budget()): { ctx: RunContext; ledger: Ledger } {
  const ledger = new Ledger();
  rt.ledgers.push(ledger);
  const client = new LMClient({ provider: rt.client.provider, budget, ledger, cache: rt.client.cache, ...lmClientTiming(rt.lm), onEvent: rt.onLMEvent });
  return { ctx: new RunContext({ lm: client, seed: rt.seed }), ledger };
}

/** What a run record says about model access: the settings, and retries and corrupt cache entries over every client. */
export interface LMRecord extends ResolvedLMSettings {
  retryCounts: RetryCounts;
  cacheCorrupted: number;
}

export function lmRecord(rt: Runtime): LMRecord {
  const snapshots = rt.ledgers.map((l) => l.snapshot());
  return {
    ...rt.lm,
    retryCounts: sumRetryCounts(snapshots.map((s) => s.retries)),
    cacheCorrupted: snapshots.reduce((n, s) => n + s.cacheCorrupted, 0),
  };
}

/** Without a display of its own, a run says on stderr when it waits for an endpoint. */
function stderrNotices(): (event: LMClientEvent) => void {
  const notices = new WaitNotices((line) => process.stderr.write(`lm: ${line}\n`));
  return (event) => notices.handle(event);
}

export const DEFAULT_CACHE_DIR = path.join(".cache", "lm");

export function createRuntime(options: RuntimeOptions): Runtime {
  const entry = getSystem(options.system);
  const backend = options.backend ?? "simlm";
  const settings = resolveSettings(entry, backend, options.settings);
  const system = entry.build(settings);
  const data = entry.load(settings);
  const seed = options.seed ?? 0;
  const world = options.world ?? 0;
  let provider: LMProvider;
  let backendLabel: string;
  if (backend === "simlm") {
    const oracles = new OracleStore();
    entry.registerOracles(oracles, settings);
    // The version comes from the `simlm-version` setting every system accepts (docs/simlm.md).
    const version = parseSimLMVersion(settings[SIMLM_VERSION_SETTING.name] ?? defaultSetting(SIMLM_VERSION_SETTING, backend));
    provider = new SimLM({ world, oracles, version });
    backendLabel = `${version}, world ${world} (surrogate, not a language model)`;
  } else {
    const openai = new OpenAIProvider();
    provider = openai;
    backendLabel = `openai-compatible ${openai.baseURL}${options.model ? `, model ${options.model}` : ""}`;
  }
  if (options.model) {
    for (const c of system.components) {
      if (c instanceof LLMComponent && c.variable?.kind !== "model") c.updateConfig({ model: options.model });
    }
  }
  const ledger = new Ledger();
  const lm = resolveLMSettings(backend, options.lm);
  const onLMEvent = options.onLMEvent ?? stderrNotices();
  const cache = lm.cache === "off" ? undefined : new ResponseCache({ dir: options.cacheDir ?? DEFAULT_CACHE_DIR, mode: lm.cache, shared: options.sharedCache });
  const budget = options.budget instanceof Budget ? options.budget : new Budget(options.budget);
  const client = new LMClient({ provider, budget, ledger, cache, concurrency: options.concurrency, ...lmClientTiming(lm), onEvent: onLMEvent });
  const ctx = new RunContext({ lm: client, seed });
  return { entry, settings, system, data, client, ctx, ledger, backendLabel, lm, ledgers: [ledger], onLMEvent, world: backend === "simlm" ? world : null, seed };
}
