import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import Papa from "papaparse";
import { runSuite, type SuiteOutcome } from "../src/repro/suite";
import { loadSuiteConfig, resolveSuite } from "../src/repro/suite-config";
import { WALL_TIME_COLUMNS } from "../src/repro/results";
import { queueRunner } from "../src/repro/queue";
import { ENTRY_PREFIX, STATS_KEY, sharedCacheStats } from "../src/lm/redis-cache";
import { ResponseCache, cacheKeyOf } from "../src/lm/cache";
import { startRedis, startWorker, type RedisServer, type WorkerProcess } from "./queue-fixtures";

/**
 * Suite cells on a BullMQ queue served by `optimas worker` processes, against a real redis-server:
 * the quick suite restricted to toy and two methods gives the local pool's results.csv; a worker
 * killed mid-cell loses nothing; no API key reaches Redis or a log.
 */

const SECRET = "sk-queue-test-0123456789abcdef";
const METHODS = ["optimas", "opro"];
const quick = (lm = {}) => resolveSuite(loadSuiteConfig("quick"), { systems: ["toy"], methods: METHODS, lm });
const OPTIMAS_DIR = (outDir: string) => path.join(outDir, "runs", "toy", "optimas-s0-w0");

const scratch = mkdtempSync(path.join(tmpdir(), "optimas-queue-"));
const workers: WorkerProcess[] = [];
let redis: RedisServer;
let local: SuiteOutcome;

/** results.csv without its wall-time columns: what must be identical between runs of a suite. */
function comparableCsv(file: string): string[][] {
  const { data } = Papa.parse<string[]>(readFileSync(file, "utf8").trim());
  const drop = new Set(WALL_TIME_COLUMNS.map((c) => data[0]!.indexOf(c)));
  return data.map((r) => r.filter((_, i) => !drop.has(i)));
}

/** Two workers serving the quick suite's queue, with an API key in their environment. */
async function twoWorkers(extra: string[] = []): Promise<WorkerProcess[]> {
  const env = { ...process.env, OPENAI_API_KEY: SECRET };
  const started = await Promise.all([0, 1].map(() => startWorker(["--queue", redis.url, "--suite", "quick", "--stall-timeout", "3", ...extra], env)));
  workers.push(...started);
  return started;
}

async function stop(list: WorkerProcess[]): Promise<void> {
  for (const w of list) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGTERM");
  await Promise.all(list.map((w) => w.exited));
}

before(async () => {
  redis = await startRedis();
  local = await runSuite(quick(), { outDir: path.join(scratch, "local"), workers: 2, png: false });
  assert.equal(local.failed, 0);
});

after(async () => {
  await stop(workers);
  await redis?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

test("two queue workers give the local pool's results.csv; a finished suite enqueues nothing; the Redis response cache holds disk-cache entries; no key reaches Redis or a log", async (t) => {
  process.env.OPENAI_API_KEY = SECRET; // the enqueuing process has a key too: it must not travel in the payload
  t.after(() => delete process.env.OPENAI_API_KEY);
  const pair = await twoWorkers(["--cache-url", redis.url]);
  t.after(() => stop(pair));
  const outDir = path.join(scratch, "queue");
  const queued = await runSuite(quick(), { outDir, workers: 2, png: false, runner: queueRunner(redis.url, "quick") });
  assert.equal(queued.failed, 0);
  assert.deepEqual(comparableCsv(queued.resultsCsv), comparableCsv(local.resultsCsv));
  assert.deepEqual(await redis.client.keys(`${ENTRY_PREFIX}*`), [], "the suite's cache is off (SimLM's default): nothing cached");
  assert.deepEqual(await redis.client.keys("bull:optimas-quick:cell-*"), [], "finished cells leave the queue");
  const again = await runSuite(quick(), { outDir, workers: 2, png: false, runner: queueRunner(redis.url, "quick") });
  assert.deepEqual(again.ran, []);

  // With the cache on, the workers share entries in Redis: the disk cache's keys and entry text, so
  // an entry copied into a disk cache directory replays there. (Results are not compared: SimLM
  // routes on metadata the key leaves out, skill and example id, which a real model never sees; so
  // under SimLM a shared entry's reply depends on which call wrote it first, on disk as in Redis.)
  const cached = await runSuite(quick({ cache: "read-write" }), { outDir: path.join(scratch, "queue-cached"), workers: 2, png: false, runner: queueRunner(redis.url, "quick") });
  assert.equal(cached.failed, 0);
  const stats = await sharedCacheStats(redis.client);
  assert.ok(stats.writes > 0 && stats.hits > 0, JSON.stringify(stats));
  const entries = (await redis.client.keys(`${ENTRY_PREFIX}*`)).filter((k) => k !== STATS_KEY);
  // Two cells that miss one key at the same moment both fetch and write it (the disk cache does too).
  assert.ok(entries.length > 0 && entries.length <= stats.writes, `${entries.length} entries, ${stats.writes} writes`);
  const disk = new ResponseCache({ dir: path.join(scratch, "disk-cache"), mode: "read-only" });
  for (const redisKey of entries.slice(0, 20)) {
    const key = redisKey.slice(ENTRY_PREFIX.length);
    const text = (await redis.client.get(redisKey))!;
    assert.equal(cacheKeyOf((JSON.parse(text) as { material: never }).material), key, "the Redis key is the disk cache's key of the entry's material");
    mkdirSync(path.dirname(disk.fileOf(key)), { recursive: true });
    writeFileSync(disk.fileOf(key), text);
    assert.notEqual(await disk.get(key), undefined, "the Redis entry replays from disk");
  }

  // Nothing in Redis and nothing the workers printed holds the key.
  for (const key of await redis.client.keys("*")) assert.ok(!(await dumpValue(key)).includes(SECRET), key);
  for (const w of pair) assert.ok(!w.output().includes(SECRET));
});

test("a worker killed with SIGKILL mid-cell: another resumes the cell from its checkpoint, and results.csv is the local one", async (t) => {
  const pair = await twoWorkers();
  t.after(() => stop(pair));
  const outDir = path.join(scratch, "killed");
  const suite = runSuite(quick(), { outDir, workers: 2, png: false, runner: queueRunner(redis.url, "quick") });
  const running = await Promise.race(pair.map((w) => w.line(/started toy \/ optimas/).then(() => w)));
  const checkpoint = path.join(OPTIMAS_DIR(outDir), "checkpoint.json");
  await until("the optimas cell's first checkpoint", () => existsSync(checkpoint));
  running.child.kill("SIGKILL");
  assert.ok(!existsSync(path.join(OPTIMAS_DIR(outDir), "result.json")), "killed mid-cell, before its result");
  const outcome = await suite;
  const survivor = pair.find((w) => w !== running)!;
  assert.match(survivor.output(), /started toy \/ optimas/, "the survivor took the stalled cell");
  assert.equal(outcome.failed, 0);
  assert.deepEqual(comparableCsv(outcome.resultsCsv), comparableCsv(local.resultsCsv));
});

/** Polls every 20 ms; the bound only turns a broken build into a failure (not a timing assertion). */
async function until(what: string, ready: () => boolean, boundS = 120): Promise<void> {
  for (let waited = 0; !ready(); waited += 0.02) {
    if (waited > boundS) assert.fail(`gave up waiting for ${what}`);
    await sleep(20);
  }
}

/** A key's value as text, whatever its type (BullMQ keeps hashes, lists, sorted sets and streams). */
async function dumpValue(key: string): Promise<string> {
  const c = redis.client;
  switch (await c.type(key)) {
    case "string":
      return (await c.get(key)) ?? "";
    case "hash":
      return JSON.stringify(await c.hgetall(key));
    case "list":
      return JSON.stringify(await c.lrange(key, 0, -1));
    case "set":
      return JSON.stringify(await c.smembers(key));
    case "zset":
      return JSON.stringify(await c.zrange(key, 0, -1));
    case "stream":
      return JSON.stringify(await c.xrange(key, "-", "+"));
    default:
      return "";
  }
}
