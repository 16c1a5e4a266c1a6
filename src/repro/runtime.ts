import * as path from "node:path";
import { RunContext } from "../core/context";
import { LLMComponent } from "../core/llm-component";
import type { CompoundSystem } from "../core/system";
import { OracleStore } from "../data/oracle";
import { Budget, type BudgetCaps } from "../lm/budget";
import { ResponseCache, type CacheMode } from "../lm/cache";
import { LMClient } from "../lm/client";
import { Ledger } from "../lm/ledger";
import { OpenAIProvider } from "../lm/openai-provider";
import { parseSimLMVersion, SimLM } from "../lm/sim/simlm";
import type { LMProvider } from "../lm/types";
import { getSystem, type Splits, type SystemEntry } from "../systems/registry";
import { defaultSetting, resolveSettings, SIMLM_VERSION_SETTING, type BackendKind, type SystemSettings } from "../systems/settings";

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
  cacheMode?: CacheMode;
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
  world: number | null;
  seed: number;
}

/**
 * A context on the same endpoint (and cache) with its own budget and ledger: test evaluations
 * charge the run's test account, not the optimizer's (both count against the run's caps).
 */
export function separateContext(rt: Runtime, budget: Budget = new Budget()): { ctx: RunContext; ledger: Ledger } {
  const ledger = new Ledger();
  const client = new LMClient({ provider: rt.client.provider, budget, ledger, cache: rt.client.cache });
  return { ctx: new RunContext({ lm: client, seed: rt.seed }), ledger };
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
  // SimLM is deterministic and in process: a disk cache would only add I/O. Real endpoints cache by default.
  const cacheMode = options.cacheMode ?? (backend === "simlm" ? "off" : "read-write");
  const cache = cacheMode === "off" ? undefined : new ResponseCache({ dir: options.cacheDir ?? DEFAULT_CACHE_DIR, mode: cacheMode });
  const client = new LMClient({ provider, budget: options.budget instanceof Budget ? options.budget : new Budget(options.budget), ledger, cache, concurrency: options.concurrency });
  const ctx = new RunContext({ lm: client, seed });
  return { entry, settings, system, data, client, ctx, ledger, backendLabel, world: backend === "simlm" ? world : null, seed };
}
