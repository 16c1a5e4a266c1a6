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
  /** A built-in SystemId, or the id a user's system was registered under (`registerSystem`). */
  id: string;
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

/** Systems defined at run time (a notebook's own system), by id: they run through the same jobs as the built-in ones. */
const userSystems = new Map<string, SystemEntry>();

/** Makes a user's system known by its id (registering an id again replaces the earlier definition). */
export function registerSystem(entry: SystemEntry): void {
  if ((SYSTEM_IDS as readonly string[]).includes(entry.id)) throw new UsageError(`"${entry.id}" is a built-in system; give your system another id`);
  userSystems.set(entry.id, entry);
}

export function availableSystems(): SystemId[] {
  return SYSTEM_IDS.filter((id) => loaders[id] !== undefined);
}

export function getSystem(id: string): SystemEntry {
  const user = userSystems.get(id);
  if (user) return user;
  if (!(SYSTEM_IDS as readonly string[]).includes(id)) throw new UsageError(`unknown system "${id}" (known: ${SYSTEM_IDS.join(", ")})`);
  const load = loaders[id as SystemId];
  if (!load) throw new UsageError(`system "${id}" is not implemented yet (available: ${availableSystems().join(", ")})`);
  return load();
}
