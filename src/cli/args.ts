import { InvalidArgumentError, type Command } from "commander";
import { CAP_FLAGS, type BudgetCaps } from "../core/budget";
import { CACHE_MODES } from "../lm/cache";
import { lmSettingProblem, type LMSettings } from "../repro/lm-settings";
import type { Json } from "../core/json";
import { parseRedisUrl, redisWhere } from "../lm/redis-url";

/** Commander argument parsers that reject bad values with one clear line. */

export function intArg(name: string, min = 0): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min} (got "${value}")`);
    return n;
  };
}

export function rateArg(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`${name} must be a number in [0, 1] (got "${value}")`);
    return n;
  };
}

export function choiceArg<T extends string>(name: string, choices: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(choices as readonly string[]).includes(value)) throw new InvalidArgumentError(`${name} must be one of ${choices.join(", ")} (got "${value}")`);
    return value as T;
  };
}

export function listArg(value: string): string[] {
  return value.split(",").map((s) => s.trim()).filter(Boolean);
}

export function intListArg(name: string, min = 0): (value: string) => number[] {
  const one = intArg(name, min);
  return (value) => listArg(value).map(one);
}

/** `<name>=<value>` split at the first "=", or the flag's usage line. */
function assignment(flag: string, form: string, value: string): [string, string] {
  const eq = value.indexOf("=");
  if (eq <= 0) throw new InvalidArgumentError(`${flag} takes ${form} (got "${value}")`);
  return [value.slice(0, eq), value.slice(eq + 1)];
}

/** Collects repeated `--set <name>=<value>` options into one object; a name given twice is an error. */
export function settingArg(flag: string): (value: string, previous: Record<string, string> | undefined) => Record<string, string> {
  return (value, previous = {}) => {
    const [name, text] = assignment(flag, "<name>=<value>", value);
    if (name in previous) throw new InvalidArgumentError(`${flag} sets "${name}" twice`);
    return { ...previous, [name]: text };
  };
}

/** An option's value: JSON where it parses (numbers, true, false, null, "quoted"), else the text itself. */
function optionValue(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return text;
  }
}

/** Collects repeated `--option <key>=<value>` (a method's options, core/method-options.ts) into one object; a key given twice is an error. */
export function optionArg(flag: string): (value: string, previous: Record<string, Json> | undefined) => Record<string, Json> {
  return (value, previous = {}) => {
    const [key, text] = assignment(flag, "<key>=<value>", value);
    if (key in previous) throw new InvalidArgumentError(`${flag} sets "${key}" twice`);
    return { ...previous, [key]: optionValue(text) };
  };
}

/** Collects repeated `--option <method>.<key>=<value>` into options by method; a method's key given twice is an error. */
export function methodOptionArg(flag: string): (value: string, previous: Record<string, Record<string, Json>> | undefined) => Record<string, Record<string, Json>> {
  return (value, previous = {}) => {
    const form = "<method>.<key>=<value>";
    const [name, text] = assignment(flag, form, value);
    const dot = name.indexOf(".");
    if (dot <= 0 || dot === name.length - 1) throw new InvalidArgumentError(`${flag} takes ${form} (got "${value}")`);
    const [method, key] = [name.slice(0, dot), name.slice(dot + 1)];
    if (key in (previous[method] ?? {})) throw new InvalidArgumentError(`${flag} sets "${name}" twice`);
    return { ...previous, [method]: { ...previous[method], [key]: optionValue(text) } };
  };
}

/** A Redis URL (`--queue`, `--cache-url`); the error line shows it without its password. */
export function redisUrlArg(name: string): (value: string) => string {
  return (value) => {
    const target = parseRedisUrl(value);
    if ("problem" in target) throw new InvalidArgumentError(`${name} ${target.problem} (got "${redisWhere(value)}")`);
    return value;
  };
}

export function nonNegativeNumberArg(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a number ≥ 0 (got "${value}")`);
    return n;
  };
}

/** The spend-cap options of `optimize`, `reproduce` and `resume` (CAP_FLAGS in core/budget.ts), as commander names them. */
export interface CapOptions {
  maxSystemRuns?: number;
  maxLlmCalls?: number;
  maxTokens?: number;
  maxCost?: number;
}

/** Adds the spend-cap options to a command: they bound everything a run spends, test evaluation included. */
export function withCapOptions(command: Command): Command {
  return command
    .option(`${CAP_FLAGS.systemRuns} <n>`, "stop the run (resumably) before it exceeds N global system runs, test evaluation included", intArg(CAP_FLAGS.systemRuns))
    .option(`${CAP_FLAGS.llmCalls} <n>`, "stop the run before it exceeds N LLM calls, test evaluation included", intArg(CAP_FLAGS.llmCalls))
    .option(`${CAP_FLAGS.tokens} <n>`, "stop the run once it has spent N tokens (calls in flight finish)", intArg(CAP_FLAGS.tokens))
    .option(`${CAP_FLAGS.costUsd} <usd>`, "stop the run once it has spent this many US dollars (calls in flight finish)", nonNegativeNumberArg(CAP_FLAGS.costUsd));
}

/** The caps given on the command line (only those given). */
export function capsFromOptions(opts: CapOptions): BudgetCaps {
  const given: BudgetCaps = { systemRuns: opts.maxSystemRuns, llmCalls: opts.maxLlmCalls, tokens: opts.maxTokens, costUsd: opts.maxCost };
  return Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
}

/** A parser for one LM client setting, validated as suite files validate it (repro/lm-settings.ts). */
function lmSettingArg(flag: string, name: keyof LMSettings): (value: string) => number | string {
  return (value) => {
    const parsed = name === "cache" ? value : value.trim() === "" ? Number.NaN : Number(value);
    const problem = lmSettingProblem(name, parsed);
    if (problem) throw new InvalidArgumentError(`${flag} ${problem} (got "${value}")`);
    return parsed;
  };
}

/** Adds the LM client's bounded waits and cache mode to a command (`eval`, `optimize`, `resume`, `reproduce`). */
export function withLMOptions(command: Command): Command {
  return command
    .option("--timeout <s>", "seconds one model-call attempt may take before it is aborted and retried (default 120)", lmSettingArg("--timeout", "timeout"))
    .option("--retries <n>", "extra attempts after a timeout, 429, 5xx, dropped connection or cut-off reply (default 5)", lmSettingArg("--retries", "retries"))
    .option(
      "--max-retry-after <s>",
      "the longest Retry-After obeyed; an endpoint asking for longer (an exhausted quota) stops the run resumably (default 60)",
      lmSettingArg("--max-retry-after", "maxRetryAfter"),
    )
    .option(
      "--cache <mode>",
      `response cache in .cache/lm: ${CACHE_MODES.join(", ")}; read-only replays and stops at a reply it lacks (default: off with --backend simlm, read-write with openai)`,
      lmSettingArg("--cache", "cache"),
    );
}
