import type { SystemEntry } from "./registry";
import { UsageError } from "../core/failure";

/**
 * System settings: choices made once per run that change what a system is (its data, retriever,
 * candidate models, metric rule), as opposed to the variables optimizers change. Each entry
 * declares its settings; `--set <name>=<value>` and a suite's `settings` field give values; the
 * resolved settings (the backend's defaults plus the given values) reach the entry's build, load
 * and registerOracles and are recorded in every run's config.json and result.
 */

export type BackendKind = "simlm" | "openai";

/** Resolved settings: one value for each setting the system declares. */
export type SystemSettings = Readonly<Record<string, string>>;

export interface SettingSpec {
  name: string;
  description: string;
  /** A closed list of values, or a check for free-form values (a URL, a model list) with words for what it accepts. */
  accepts: readonly string[] | { describe: string; check: (value: string) => boolean };
  /** The value when none is given: one value, or one per backend where offline and online runs differ. */
  default: string | Readonly<Record<BackendKind, string>>;
}

type SettingsOwner = Pick<SystemEntry, "id" | "settings">;

/**
 * The SimLM version, a setting every system accepts (docs/simlm.md). It is recorded only when it
 * differs from the default: giving the default explicitly is the same run, and a simlm@1 run
 * (`--set simlm-version=v1`) is another run than the default's.
 */
export const SIMLM_VERSION_SETTING: SettingSpec = {
  name: "simlm-version",
  description: "the SimLM version of offline runs (v1 reproduces results recorded with simlm@1)",
  accepts: ["v1", "v2"],
  default: "v2",
};

/** The spec of a setting the system declares, or of a setting every system accepts. */
function settingSpec(entry: SettingsOwner, name: string): SettingSpec | undefined {
  return entry.settings.find((s) => s.name === name) ?? (name === SIMLM_VERSION_SETTING.name ? SIMLM_VERSION_SETTING : undefined);
}

/** What a setting accepts, in words: "bm25 or colbert", "an http(s) URL". */
export function acceptedValues(spec: SettingSpec): string {
  const values = spec.accepts;
  if ("check" in values) return values.describe;
  return values.length <= 2 ? values.join(" or ") : `one of ${values.join(", ")}`;
}

function accepts(spec: SettingSpec, value: string): boolean {
  const values = spec.accepts;
  return "check" in values ? values.check(value) : values.includes(value);
}

export function defaultSetting(spec: SettingSpec, backend: BackendKind): string {
  return typeof spec.default === "string" ? spec.default : spec.default[backend];
}

/** The first given setting the system does not declare or whose value it does not accept: the setting and what is wrong, as a predicate. */
export function settingsIssue(entry: SettingsOwner, given: Readonly<Record<string, string>>): { setting: string; problem: string } | undefined {
  for (const [name, value] of Object.entries(given)) {
    const spec = settingSpec(entry, name);
    if (!spec) {
      const known = entry.settings.length > 0 ? `known: ${entry.settings.map((s) => s.name).join(", ")}` : `system "${entry.id}" has no settings`;
      return { setting: name, problem: `is unknown (${known})` };
    }
    if (!accepts(spec, value)) return { setting: name, problem: `must be ${acceptedValues(spec)} (got "${value}")` };
  }
  return undefined;
}

/** The backend's defaults with the given values on top; an unknown setting or a bad value is one error line. */
export function resolveSettings(entry: SettingsOwner, backend: BackendKind, given: Readonly<Record<string, string>> = {}): SystemSettings {
  const issue = settingsIssue(entry, given);
  if (issue) throw new UsageError(`system "${entry.id}": setting "${issue.setting}" ${issue.problem}`);
  const resolved = Object.fromEntries(entry.settings.map((s) => [s.name, given[s.name] ?? defaultSetting(s, backend)]));
  const version = given[SIMLM_VERSION_SETTING.name];
  return version === undefined || version === defaultSetting(SIMLM_VERSION_SETTING, backend) ? resolved : { ...resolved, [SIMLM_VERSION_SETTING.name]: version };
}

/** "name=value; name=value" in declaration order, for tables and results.csv. */
export function formatSettings(settings: SystemSettings): string {
  return Object.entries(settings)
    .map(([name, value]) => `${name}=${value}`)
    .join("; ");
}
