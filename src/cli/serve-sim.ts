import * as fs from "node:fs";
import { UsageError } from "../core/failure";
import { OracleStore } from "../data/oracle";
import { parseSimLMVersion, SimLM, type SimLMVersion } from "../lm/sim/simlm";
import { serveSim } from "../lm/sim/server";
import { availableSystems, getSystem } from "../systems/registry";
import { defaultSetting, resolveSettings, SIMLM_VERSION_SETTING } from "../systems/settings";

export interface ServeSimArgs {
  port: number;
  host: string;
  world: number;
  faultRate: number;
  slowRate: number;
  slowMs: number;
  hangRate: number;
  /** `--alias <name>=<model>` values (strict mode). */
  alias?: Record<string, string>;
  /** `--aliases <file>`: a JSON object of alias → SimLM model (strict mode). */
  aliases?: string;
  /** `--set <system>.<name>=<value>` values. */
  set?: Record<string, string>;
}

const ALIAS_FILE_SHAPE = `a JSON object such as { "gpt-4o-mini": "sim-m", "gpt-4o": "sim-l" }`;

/** The aliases of `--aliases FILE` and `--alias` together (strict mode), or undefined when neither is given. */
export function strictAliases(file: string | undefined, flags: Record<string, string> = {}): Record<string, string> | undefined {
  if (file === undefined && Object.keys(flags).length === 0) return undefined;
  let fromFile: Record<string, string> = {};
  if (file !== undefined) {
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (err) {
      throw new UsageError(`--aliases ${file}: cannot read it as JSON (${(err as Error).message.split("\n")[0]}); write ${ALIAS_FILE_SHAPE}`);
    }
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new UsageError(`--aliases ${file}: must be ${ALIAS_FILE_SHAPE}`);
    for (const [name, model] of Object.entries(raw)) {
      if (typeof model !== "string" || model === "") throw new UsageError(`--aliases ${file}: alias "${name}" must map to a SimLM model name (got ${JSON.stringify(model)})`);
    }
    fromFile = raw as Record<string, string>;
  }
  for (const name of Object.keys(flags)) if (name in fromFile) throw new UsageError(`--alias ${name}: also given in --aliases ${file}; give each alias once`);
  return { ...fromFile, ...flags };
}

/** `--set` values grouped by system; a name without a known system before its dot is an error. */
function settingsBySystem(set: Record<string, string>): Record<string, Record<string, string>> {
  const systems = availableSystems() as string[];
  const bySystem: Record<string, Record<string, string>> = {};
  for (const [key, value] of Object.entries(set)) {
    const dot = key.indexOf(".");
    const system = key.slice(0, Math.max(dot, 0));
    if (!systems.includes(system)) throw new UsageError(`--set ${key}=${value}: name the setting as <system>.<name> (systems: ${systems.join(", ")})`);
    (bySystem[system] ??= {})[key.slice(dot + 1)] = value;
  }
  return bySystem;
}

function servedVersion(name: string): SimLMVersion {
  try {
    return parseSimLMVersion(name);
  } catch (err) {
    throw new UsageError(`--set ${SIMLM_VERSION_SETTING.name}=${name}: ${(err as Error).message}`);
  }
}

/** Serves SimLM until interrupted; every system's oracles are resolvable (lazily) through x-simlm-example. */
export async function serveSimCommand(args: ServeSimArgs): Promise<void> {
  const oracles = new OracleStore();
  // `--set simlm-version=v1` picks the served version, spelled as clients' runs spell it.
  const { [SIMLM_VERSION_SETTING.name]: versionName, ...systemSettings } = args.set ?? {};
  const version = servedVersion(versionName ?? defaultSetting(SIMLM_VERSION_SETTING, "simlm"));
  const given = settingsBySystem(systemSettings);
  // Clients reach this server through the openai backend: resolve their defaults.
  for (const entry of availableSystems().map(getSystem)) entry.registerOracles(oracles, resolveSettings(entry, "openai", given[entry.id]));
  const aliases = strictAliases(args.aliases, args.alias);
  const server = await serveSim({
    provider: new SimLM({ world: args.world, oracles, version }),
    port: args.port,
    host: args.host,
    faultRate: args.faultRate,
    slowRate: args.slowRate,
    slowMs: args.slowMs,
    hangRate: args.hangRate,
    aliases,
    seed: args.world,
  }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "EADDRINUSE") throw new UsageError(`--port ${args.port}: ${args.host}:${args.port} is already in use; pass another --port (0 picks a free one)`);
    throw err;
  });
  console.log(`${version} world ${args.world} (a surrogate, not a language model) serving at ${server.url}`);
  if (aliases) console.log(`  strict mode: serving only ${Object.entries(aliases).map(([name, model]) => `${name} (${model})`).join(", ")}; any other model name gets 404 model_not_found`);
  console.log(`  OPENAI_BASE_URL=${server.url} npx optimas eval --system toy --backend openai --model ${aliases ? Object.keys(aliases)[0] : "sim-m"}`);
  if (args.faultRate > 0) console.log(`  injecting faults on ${(args.faultRate * 100).toFixed(1)}% of model calls`);
  if (args.slowRate > 0) console.log(`  answering ${(args.slowRate * 100).toFixed(1)}% of model calls after ${args.slowMs} ms`);
  if (args.hangRate > 0) console.log(`  never answering ${(args.hangRate * 100).toFixed(1)}% of model calls (the client's timeout ends them)`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      const f = server.faults();
      console.log(`\nstopping; injected faults and delays: ${JSON.stringify(f)}`);
      server.close().then(resolve);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}
