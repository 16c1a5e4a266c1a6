/**
 * `redis://[user:password@]HOST:PORT[/db]` (or `rediss://` for TLS) as `--queue` and `--cache-url`
 * take it: parsed once into connection options, and written without its password wherever it is
 * shown. No Redis client is loaded here (args.ts validates with it).
 */

export interface RedisTarget {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls?: Record<string, never>;
}

export const REDIS_URL_FORM = "redis://HOST:PORT[/db]";

/** The connection options a URL names, or what is wrong with it. */
export function parseRedisUrl(url: string): RedisTarget | { problem: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { problem: `must be ${REDIS_URL_FORM}` };
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") return { problem: `must start with redis:// or rediss:// (${REDIS_URL_FORM})` };
  if (parsed.hostname === "") return { problem: `names no host (${REDIS_URL_FORM})` };
  const db = parsed.pathname === "" || parsed.pathname === "/" ? 0 : Number(parsed.pathname.slice(1));
  if (!Number.isInteger(db) || db < 0) return { problem: `has a database that is not an integer ≥ 0 (${REDIS_URL_FORM})` };
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: parsed.port === "" ? 6379 : Number(parsed.port),
    db,
    ...(parsed.username !== "" && { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password !== "" && { password: decodeURIComponent(parsed.password) }),
    ...(parsed.protocol === "rediss:" && { tls: {} }),
  };
}

/** The target of a URL already validated by the command line; a bad one is a programming error. */
export function redisTarget(url: string): RedisTarget {
  const target = parseRedisUrl(url);
  if ("problem" in target) throw new Error(`redis URL "${redisWhere(url)}" ${target.problem}`);
  return target;
}

/**
 * ioredis, loaded on first use: a run without Redis never loads it. (`require` of a package, which
 * tslab resolves; notebook-facing modules import nothing of this path anyway.)
 */
export function loadIORedis(): typeof import("ioredis").default {
  return (require("ioredis") as typeof import("ioredis")).default;
}

/** The URL without its password, for messages and logs. */
export function redisWhere(url: string): string {
  return url.replace(/^(rediss?:\/\/)([^@/]*)@/, (_, scheme: string, auth: string) => `${scheme}${auth.includes(":") ? `${auth.slice(0, auth.indexOf(":"))}:***` : "***"}@`);
}
