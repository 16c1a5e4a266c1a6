import type { CompoundSystem, Example } from "../core/system";
import type { OracleStore } from "../data/oracle";
import { toyEntry } from "./toy/index";
import { amazonEntry } from "./amazon/index";
import { pubmedqaEntry } from "./pubmedqa/index";
import { hotpotqaEntry } from "./hotpotqa/index";
import { bigcodebenchEntry } from "./bigcodebench/index";
import { starkEntry } from "./stark/index";
import type { SettingSpec, SystemSettings } from "./settings";
import { UsageError } from "../core/failure";

/** The five paper systems and the tiny teaching/test system, by CLI id. */
export const SYSTEM_IDS = ["toy", "amazon", "pubmedqa", "hotpotqa", "bigcodebench", "stark"] as const;
export type SystemId = (typeof SYSTEM_IDS)[number];

export interface Splits {
  train: Example[];
  val: Example[];
  test: Example[];
}

/** Everything the runner needs to know about one system. */
export interface SystemEntry {
  id: SystemId;
  title: string;
  /** Name of the global metric (for tables). */
  metric: string;
  /** What a run can choose (`--set`, a suite's `settings`); resolved by settings.ts. */
  settings: readonly SettingSpec[];
  build(settings: SystemSettings): CompoundSystem;
  load(settings: SystemSettings): Splits;
  /** Makes the examples' oracles visible to SimLM (never to optimizers). */
  registerOracles(store: OracleStore, settings: SystemSettings): void;
}

type Loader = () => SystemEntry;

// Static imports of files (not folders): tslab compiles only what is imported statically, and
// resolves neither folder index files nor dynamic requires. Entries load their data lazily, so
// importing every system costs nothing until one is used.
const loaders: Partial<Record<SystemId, Loader>> = {
  toy: () => toyEntry,
  amazon: () => amazonEntry,
  pubmedqa: () => pubmedqaEntry,
  hotpotqa: () => hotpotqaEntry,
  bigcodebench: () => bigcodebenchEntry,
  stark: () => starkEntry,
};

export function availableSystems(): SystemId[] {
  return SYSTEM_IDS.filter((id) => loaders[id] !== undefined);
}

export function getSystem(id: string): SystemEntry {
  if (!(SYSTEM_IDS as readonly string[]).includes(id)) throw new UsageError(`unknown system "${id}" (known: ${SYSTEM_IDS.join(", ")})`);
  const load = loaders[id as SystemId];
  if (!load) throw new UsageError(`system "${id}" is not implemented yet (available: ${availableSystems().join(", ")})`);
  return load();
}
