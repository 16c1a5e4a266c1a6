import type Redis from "ioredis";
import { FatalRunError } from "../core/failure";
import type { SharedEntryStore } from "./cache";
import { loadIORedis, redisTarget, redisWhere } from "./redis-url";

/**
 * The response cache on Redis (`optimas worker --cache-url redis://…`): one string per entry,
 * `optimas:lm:<key>`, holding exactly the text of the on-disk entry `<key[0..2]>/<key>.json`
 * (lm/cache.ts), so entries verify the same way and can be copied between the two. Lookups are
 * tallied in the hash `optimas:lm:stats` (hits, misses, writes) over every process that shares the
 * store. ioredis is loaded when the first store is made.
 */

export const ENTRY_PREFIX = "optimas:lm:";
export const STATS_KEY = "optimas:lm:stats";

export class RedisEntryStore implements SharedEntryStore {
  readonly where: string;
  private readonly redis: Redis;

  constructor(url: string) {
    this.where = redisWhere(url);
    // A command fails after one reconnect attempt instead of queueing forever: the run stops with one line.
    this.redis = new (loadIORedis())({ ...redisTarget(url), maxRetriesPerRequest: 1, lazyConnect: true });
    // Errors reach the caller through the failed command; the client's own event would only add noise.
    this.redis.on("error", () => undefined);
  }

  async read(key: string): Promise<string | undefined> {
    const text = await this.call("read", () => this.redis.get(ENTRY_PREFIX + key));
    await this.call("count", () => this.redis.hincrby(STATS_KEY, text === null ? "misses" : "hits", 1));
    return text ?? undefined;
  }

  async write(key: string, text: string): Promise<void> {
    await this.call("write", () => this.redis.multi().set(ENTRY_PREFIX + key, text).hincrby(STATS_KEY, "writes", 1).exec());
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private async call<T>(doing: string, command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new FatalRunError(this.where, `cannot ${doing} a response cache entry (${code})`, "check that the Redis server is running and reachable, or leave out --cache-url");
    }
  }
}

/** The shared cache's lookups so far (every worker's). */
export async function sharedCacheStats(redis: Redis): Promise<{ hits: number; misses: number; writes: number }> {
  const raw = await redis.hgetall(STATS_KEY);
  return { hits: Number(raw.hits ?? 0), misses: Number(raw.misses ?? 0), writes: Number(raw.writes ?? 0) };
}
