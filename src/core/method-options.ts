import type { Json } from "./json";
import type { Preset } from "./method";
import { UsageError } from "./failure";

/**
 * A method's options: what users set (`optimas optimize --option key=value`, a suite's
 * `methodOptions`) over the defaults of a preset. Each method declares its settings as a typed
 * object with one kind per key and defaults per preset; resolving checks every given key and
 * value and returns the full configuration, which the run receives and config.json records.
 */

/** Option values by key, as given (before resolving against a preset). */
export type MethodOptions = Readonly<Record<string, Json>>;

interface NumberKind {
  type: "integer" | "number";
  min?: number;
  max?: number;
  /** Only `number | null` settings take `true` under strict null checks; tslab compiles cells without them, where `number | null` is `number`, so the key must be allowed here. */
  nullable?: true;
}

/** The accepted values of one setting, derived from its type (a string union lists its values). */
export type OptionKind<V> = [V] extends [boolean]
  ? { type: "boolean" }
  : [V] extends [number]
    ? NumberKind
    : [V] extends [number | null]
      ? NumberKind & { nullable: true }
      : [V] extends [string]
        ? { type: "choice"; values: readonly V[] }
        : never;

/** One kind per setting of `S`: a setting without one does not compile. */
export type OptionSchema<S> = { readonly [K in keyof S]-?: OptionKind<S[K]> };

/** A method's settings: the kind of each, and every value per preset. */
export interface SettingsSpec<S> {
  schema: OptionSchema<S>;
  presets: Readonly<Record<Preset, S>>;
}

/** A rejected option; its line names the method, the key and what to give instead. */
export class OptionError extends UsageError {
  constructor(
    readonly method: string,
    readonly key: string,
    readonly problem: string,
  ) {
    super(`method "${method}": option "${key}" ${problem}`);
  }
}

type AnyKind = { type: "boolean" } | (NumberKind & { nullable?: true }) | { type: "choice"; values: readonly string[] };

function expected(kind: AnyKind): string {
  if (kind.type === "boolean") return "true or false";
  if (kind.type === "choice") return `one of ${kind.values.map((v) => JSON.stringify(v)).join(", ")}`;
  const what = kind.type === "integer" ? "an integer" : "a number";
  const range = kind.min !== undefined && kind.max !== undefined ? ` in [${kind.min}, ${kind.max}]` : kind.min !== undefined ? ` ≥ ${kind.min}` : kind.max !== undefined ? ` ≤ ${kind.max}` : "";
  return `${what}${range}${kind.nullable ? " or null" : ""}`;
}

function accepts(kind: AnyKind, value: Json): boolean {
  if (kind.type === "boolean") return typeof value === "boolean";
  if (kind.type === "choice") return typeof value === "string" && kind.values.includes(value);
  if (value === null) return kind.nullable === true;
  if (typeof value !== "number" || !Number.isFinite(value) || (kind.type === "integer" && !Number.isInteger(value))) return false;
  return (kind.min === undefined || value >= kind.min) && (kind.max === undefined || value <= kind.max);
}

/** Checks every given key and value against the schema; throws an OptionError at the first wrong one. */
export function checkOptions<S>(method: string, schema: OptionSchema<S>, options: MethodOptions): Partial<S> {
  const known = Object.keys(schema);
  for (const [key, value] of Object.entries(options)) {
    if (!Object.hasOwn(schema, key)) throw new OptionError(method, key, `is not one of its options (${known.length > 0 ? `known: ${known.join(", ")}` : "it has none"})`);
    const kind = schema[key as keyof S] as AnyKind;
    if (!accepts(kind, value)) throw new OptionError(method, key, `must be ${expected(kind)} (got ${JSON.stringify(value)})`);
  }
  return options as Partial<S>;
}

/** The preset's settings with the given options applied, every key present. */
export function resolveSettings<S>(method: string, spec: SettingsSpec<S>, preset: Preset, options: MethodOptions): S {
  return { ...spec.presets[preset], ...checkOptions(method, spec.schema, options) };
}
