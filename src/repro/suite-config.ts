import * as fs from "node:fs";
import * as path from "node:path";
import type { Preset } from "../core/method";
import { readJson } from "../core/files";
import { availableSystems, getSystem } from "../systems/registry";
import { resolveSettings, settingsIssue, type SystemSettings } from "../systems/settings";
import { getMethod, METHODS } from "./methods";
import type { BackendKind } from "./runtime";
import { LM_SETTING_NAMES, lmSettingProblem, pickLMSettings, type LMSettings } from "./lm-settings";
import { capsIssue, type BudgetCaps } from "../core/budget";
import { resolveMetaModels } from "./meta-model";
import { UsageError } from "../core/failure";
import { OptionError, type MethodOptions } from "../core/method-options";

/**
 * A reproduction suite: which systems, methods, seeds and SimLM worlds to cross, at which preset.
 * Shipped suites live in reproductions/suites/<name>.json.
 */
export interface SuiteConfig extends LMSettings {
  name: string;
  description: string;
  /** "all" = every system available in this checkout, at run time. */
  systems: "all" | string[];
  /** "all" = every method of the registry, at run time. */
  methods: "all" | string[];
  seeds: number[];
  worlds: number[];
  preset: Preset;
  backend: BackendKind;
  /** Model for every LLM component (real endpoints); default: each system's own. */
  model?: string;
  /** Meta-skill and judge models (repro/meta-model.ts); required with backend "openai". */
  metaModel?: string;
  judgeModel?: string;
  /** Spend caps of each run, test evaluation included (`--max-*` override them per resource). */
  caps?: BudgetCaps;
  /**
   * The comparison's system-run caps: every method runs to the largest, and the incumbent each
   * held at every cap is test-scored (quality against budget). Without them methods stop at their
   * own step counts.
   */
  runCaps?: number[];
  /** The cap whose gain stands beside the paper's headline (one of `runCaps`; default: the largest). */
  headlineCap?: number;
  /** Values for system settings, by system id then setting name; the rest take the backend's defaults. */
  settings?: Record<string, Record<string, string>>;
  /** Options of methods, by method id then option name (`Method.resolveOptions`); the rest take the preset's values. */
  methodOptions?: Record<string, MethodOptions>;
}

/** A suite with every list made explicit: what a run of it crosses. */
export interface ResolvedSuite extends Omit<SuiteConfig, "systems" | "methods" | "settings" | "metaModel" | "judgeModel"> {
  systems: string[];
  methods: string[];
  /** Resolved for the suite's backend. */
  metaModel: string;
  judgeModel: string;
  /** Every setting of each suite system, resolved for the suite's backend. */
  settings: Record<string, SystemSettings>;
}

export interface SuiteOverrides {
  systems?: string[];
  methods?: string[];
  seeds?: number[];
  worlds?: number[];
  /** `--run-caps` / `--headline-cap`: the comparison's caps instead of the suite's. */
  runCaps?: number[];
  headlineCap?: number;
  /** `--max-*` caps; each replaces the suite's cap of the same resource. */
  caps?: BudgetCaps;
  /** `--timeout`, `--retries`, `--max-retry-after`, `--cache`; each replaces the suite's value. */
  lm?: LMSettings;
  /** `--meta-model` / `--judge-model`. */
  metaModel?: string;
  judgeModel?: string;
  /** `--option <method>.<key>=<value>`; each replaces the suite's value of that option. */
  methodOptions?: Record<string, MethodOptions>;
}

/** reproductions/ of this package, wherever the command runs from. */
export const REPRODUCTIONS_DIR = path.resolve(__dirname, "..", "..", "reproductions");

export function suiteFile(nameOrFile: string): string {
  return nameOrFile.endsWith(".json") ? path.resolve(nameOrFile) : path.join(REPRODUCTIONS_DIR, "suites", `${nameOrFile}.json`);
}

function fail(file: string, field: string, problem: string): never {
  throw new UsageError(`${file}: field "${field}" ${problem}`);
}

function intList(file: string, field: string, value: unknown): number[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => Number.isInteger(v) && v >= 0)) fail(file, field, "must be a non-empty list of integers ≥ 0");
  if (new Set(value).size !== value.length) fail(file, field, "lists a value twice");
  return value as number[];
}

function idList(file: string, field: string, value: unknown): "all" | string[] {
  if (value === "all") return "all";
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === "string" && v.length > 0)) fail(file, field, `must be "all" or a non-empty list of ids`);
  return value as string[];
}

/** `{ "<system id>": { "<setting>": "<value>" } }`, every system, setting and value checked. */
function systemSettings(file: string, value: unknown): Record<string, Record<string, string>> {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObject(value)) fail(file, "settings", `must be an object { "<system id>": { "<setting>": "<value>" } }`);
  const systems = availableSystems() as string[];
  for (const [system, given] of Object.entries(value)) {
    if (!systems.includes(system)) fail(file, `settings.${system}`, `is not a system (available: ${systems.join(", ")})`);
    if (!isObject(given)) fail(file, `settings.${system}`, `must be an object { "<setting>": "<value>" }`);
    for (const [name, v] of Object.entries(given)) if (typeof v !== "string") fail(file, `settings.${system}.${name}`, "must be a string");
    const issue = settingsIssue(getSystem(system), given as Record<string, string>);
    if (issue) fail(file, `settings.${system}.${issue.setting}`, issue.problem);
  }
  return value as Record<string, Record<string, string>>;
}

/** `{ "<method id>": { "<option>": <value> } }`, every method, option and value checked against the preset. */
function methodOptions(file: string, value: unknown, preset: Preset): Record<string, MethodOptions> {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObject(value)) fail(file, "methodOptions", `must be an object { "<method id>": { "<option>": <value> } }`);
  const methods = METHODS.map((m) => m.id);
  for (const [method, given] of Object.entries(value)) {
    if (!methods.includes(method)) fail(file, `methodOptions.${method}`, `is not a method (available: ${methods.join(", ")})`);
    if (!isObject(given)) fail(file, `methodOptions.${method}`, `must be an object { "<option>": <value> }`);
    const issue = optionIssue(method, given as MethodOptions, preset);
    if (issue) fail(file, `methodOptions.${method}.${issue.key}`, issue.problem);
  }
  return value as Record<string, MethodOptions>;
}

/** The first option a method rejects, or null. */
function optionIssue(method: string, options: MethodOptions, preset: Preset): OptionError | null {
  try {
    getMethod(method).resolveOptions(preset, options);
    return null;
  } catch (err) {
    if (err instanceof OptionError) return err;
    throw err;
  }
}

/** Checks a parsed suite file field by field; `file` names it in errors. */
export function parseSuiteConfig(raw: unknown, file: string): SuiteConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new UsageError(`${file}: a suite must be a JSON object`);
  const r = raw as Record<string, unknown>;
  const known = ["name", "description", "systems", "methods", "seeds", "worlds", "preset", "backend", "model", "metaModel", "judgeModel", "caps", "runCaps", "headlineCap", "settings", "methodOptions", ...LM_SETTING_NAMES];
  for (const key of Object.keys(r)) if (!known.includes(key)) fail(file, key, `is not a suite field (known: ${known.join(", ")})`);
  if (typeof r.name !== "string" || !/^[a-z0-9][a-z0-9_-]*$/.test(r.name)) fail(file, "name", "must be a lower-case id (letters, digits, - and _)");
  if (r.preset !== "quick" && r.preset !== "paper") fail(file, "preset", `must be "quick" or "paper"`);
  const backend = r.backend ?? "simlm";
  if (backend !== "simlm" && backend !== "openai") fail(file, "backend", `must be "simlm" or "openai"`);
  for (const field of ["model", "metaModel", "judgeModel"]) if (r[field] !== undefined && (typeof r[field] !== "string" || r[field] === "")) fail(file, field, "must be a model name");
  const capsProblem = r.caps === undefined ? null : capsIssue(r.caps);
  if (capsProblem) fail(file, capsProblem.key === null ? "caps" : `caps.${capsProblem.key}`, capsProblem.problem);
  const runCaps = r.runCaps === undefined ? undefined : intList(file, "runCaps", r.runCaps);
  if (runCaps?.includes(0)) fail(file, "runCaps", "must list caps ≥ 1");
  if (r.headlineCap !== undefined && (runCaps === undefined || !runCaps.includes(r.headlineCap as number))) fail(file, "headlineCap", `must be one of "runCaps" (${runCaps?.join(", ") ?? "none given"})`);
  for (const name of LM_SETTING_NAMES) {
    const problem = r[name] === undefined ? undefined : lmSettingProblem(name, r[name]);
    if (problem) fail(file, name, problem);
  }
  return {
    name: r.name,
    description: typeof r.description === "string" ? r.description : "",
    systems: idList(file, "systems", r.systems),
    methods: idList(file, "methods", r.methods),
    seeds: intList(file, "seeds", r.seeds),
    worlds: intList(file, "worlds", r.worlds),
    preset: r.preset,
    backend,
    ...(r.model !== undefined ? { model: r.model as string } : {}),
    ...(r.metaModel !== undefined ? { metaModel: r.metaModel as string } : {}),
    ...(r.judgeModel !== undefined ? { judgeModel: r.judgeModel as string } : {}),
    ...(r.caps !== undefined ? { caps: r.caps as BudgetCaps } : {}),
    ...(runCaps !== undefined ? { runCaps: [...runCaps].sort((a, b) => a - b), headlineCap: (r.headlineCap as number | undefined) ?? Math.max(...runCaps) } : {}),
    ...(r.settings !== undefined ? { settings: systemSettings(file, r.settings) } : {}),
    ...(r.methodOptions !== undefined ? { methodOptions: methodOptions(file, r.methodOptions, r.preset) } : {}),
    ...pickLMSettings(r as LMSettings),
  };
}

export function loadSuiteConfig(nameOrFile: string): SuiteConfig {
  const file = suiteFile(nameOrFile);
  if (!fs.existsSync(file)) {
    const shipped = fs.readdirSync(path.join(REPRODUCTIONS_DIR, "suites")).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5));
    throw new UsageError(`${file}: no such suite (shipped suites: ${shipped.join(", ")}; or pass a path to a suite .json file)`);
  }
  return parseSuiteConfig(readJson<unknown>(file, "suite config"), file);
}

function checkIds(kind: string, ids: readonly string[], known: readonly string[], where: string): string[] {
  for (const id of ids) if (!known.includes(id)) throw new UsageError(`${where}: unknown ${kind} "${id}" (available: ${known.join(", ")})`);
  return [...new Set(ids)];
}

/** Makes every list explicit (command-line lists replace the suite's) and checks every id. */
export function resolveSuite(config: SuiteConfig, overrides: SuiteOverrides = {}, where = `suite "${config.name}"`): ResolvedSuite {
  const systems = availableSystems() as string[];
  const methods = METHODS.map((m) => m.id);
  const pick = (kind: string, cli: string[] | undefined, own: "all" | string[], known: string[], flag: string) =>
    cli ? checkIds(kind, cli, known, flag) : checkIds(kind, own === "all" ? known : own, known, where);
  const suiteSystems = pick("system", overrides.systems, config.systems, systems, "--systems");
  const models = resolveMetaModels(config.backend, { metaModel: overrides.metaModel ?? config.metaModel, judgeModel: overrides.judgeModel ?? config.judgeModel }, `--meta-model or "metaModel" in ${where}`);
  const caps = { ...config.caps, ...overrides.caps };
  const runCaps = overrides.runCaps ? [...new Set(overrides.runCaps)].sort((a, b) => a - b) : config.runCaps;
  const headlineCap = overrides.headlineCap ?? (overrides.runCaps ? runCaps && Math.max(...runCaps) : config.headlineCap);
  if (headlineCap !== undefined && !runCaps?.includes(headlineCap)) throw new UsageError(`--headline-cap ${headlineCap}: must be one of the run caps (${runCaps?.join(", ") ?? "none: give --run-caps"})`);
  for (const [method, given] of Object.entries(overrides.methodOptions ?? {})) {
    const issue = optionIssue(checkIds("method", [method], methods, "--option")[0]!, given, config.preset);
    if (issue) throw new UsageError(`--option ${method}.${issue.key}: ${issue.problem}`);
  }
  const options = mergeMethodOptions(config.methodOptions, overrides.methodOptions);
  return {
    ...config,
    ...models,
    ...(Object.keys(caps).length > 0 ? { caps } : {}),
    ...overrides.lm,
    systems: suiteSystems,
    methods: pick("method", overrides.methods, config.methods, methods, "--methods"),
    ...(runCaps !== undefined && { runCaps, headlineCap }),
    seeds: overrides.seeds ?? config.seeds,
    worlds: overrides.worlds ?? config.worlds,
    settings: Object.fromEntries(suiteSystems.map((id) => [id, resolveSettings(getSystem(id), config.backend, config.settings?.[id])])),
    ...(Object.keys(options).length > 0 ? { methodOptions: options } : {}),
  };
}

/** The suite's options of each method with the command line's over them, option by option. */
function mergeMethodOptions(own: Record<string, MethodOptions> = {}, cli: Record<string, MethodOptions> = {}): Record<string, MethodOptions> {
  const merged: Record<string, MethodOptions> = { ...own };
  for (const [method, given] of Object.entries(cli)) merged[method] = { ...own[method], ...given };
  return merged;
}
