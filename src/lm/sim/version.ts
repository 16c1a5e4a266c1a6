/**
 * SimLM versions. A version is a prior (world.ts), a quality equation (quality.ts) and a way of
 * rendering replies; worlds of different versions share nothing, so a result names its version.
 * simlm@1 stays selectable so that results recorded with it can be reproduced bit for bit
 * (docs/simlm.md, "Changelog").
 */

export const SIMLM_VERSIONS = ["simlm@1", "simlm@2"] as const;

export type SimLMVersion = (typeof SIMLM_VERSIONS)[number];

/** The version a run gets unless it asks for another. */
export const SIMLM_VERSION: SimLMVersion = "simlm@2";

/** The short names users type (`--set simlm-version=v1`), by version. */
export const SIMLM_VERSION_NAMES: Readonly<Record<string, SimLMVersion>> = { v1: "simlm@1", v2: "simlm@2" };

/** A version from its short name ("v1") or full name ("simlm@1"); anything else is a one-line error. */
export function parseSimLMVersion(name: string): SimLMVersion {
  const version = SIMLM_VERSION_NAMES[name] ?? SIMLM_VERSIONS.find((v) => v === name);
  if (!version) throw new Error(`unknown SimLM version "${name}": use one of ${Object.keys(SIMLM_VERSION_NAMES).join(", ")}`);
  return version;
}
