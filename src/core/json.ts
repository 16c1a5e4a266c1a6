/** JSON values: everything that crosses a component boundary, a cache entry or a run directory is JSON. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Named values flowing between components (a component's inputs or outputs, an example's fields). */
export type Fields = Record<string, Json>;

/** Key order independent serialization, so equal values hash and compare equal. */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== "object") {
    return JSON.stringify(value ?? null);
  }
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
  const entries = Object.keys(value as Record<string, unknown>)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableStringify((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(",")}}`;
}

export function cloneJson<T extends Json>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
