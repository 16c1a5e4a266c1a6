/**
 * bench:queue — what running a suite's cells through the BullMQ queue costs, measured in one run on
 * the same cells, back to back:
 *   1. the local pool (`optimas reproduce --workers W`): wall time, and per cell the time a worker
 *      slot was held beyond the cell's own wall_s (the overhead of handing it out and back);
 *   2. the queue (`reproduce --queue` with W `optimas worker` processes): the same two numbers, and
 *      the Redis commands and bytes the run cost;
 *   3. the shared response cache (`--cache read-write`, workers with `--cache-url`): its hit rate on a
 *      cold Redis, then again on a second run of the same cells (warm), with Redis commands per LLM call.
 * Defaults: the quick suite's toy cells (every method), 2 workers. `--suite paper --systems amazon
 * --seeds 0 --worlds 0` measures paper cells. The last line printed is one JSON object with every number.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { sharedCacheStats } from "../src/lm/redis-cache";
import { queueRunner } from "../src/repro/queue";
import { loadSuiteConfig, resolveSuite, type ResolvedSuite } from "../src/repro/suite-config";
import { runSuite, type SuiteOutcome } from "../src/repro/suite";
import type { LMSettings } from "../src/repro/lm-settings";
import { startRedis, startWorker, type RedisServer, type WorkerProcess } from "../test/queue-fixtures";

const { values: args } = parseArgs({
  options: {
    suite: { type: "string", default: "quick" },
    systems: { type: "string", default: "toy" },
    methods: { type: "string" },
    seeds: { type: "string" },
    worlds: { type: "string" },
    workers: { type: "string", default: "2" },
  },
});
const list = (v: string | undefined) => v?.split(",").map((s) => s.trim());
const ints = (v: string | undefined) => list(v)?.map(Number);
const W = Number(args.workers);
const suiteOf = (lm: LMSettings = {}): ResolvedSuite =>
  resolveSuite(loadSuiteConfig(args.suite!), { systems: list(args.systems), methods: list(args.methods), seeds: ints(args.seeds), worlds: ints(args.worlds), lm });

const scratch = mkdtempSync(path.join(tmpdir(), "optimas-queue-bench-"));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

interface Measured {
  wallS: number;
  cells: number;
  /** Per cell: seconds a worker slot was held beyond the cell's own wall_s. */
  overheadMedianS: number;
  overheadMeanS: number;
  outcome: SuiteOutcome;
}

async function measure(label: string, suite: ResolvedSuite, runner?: ReturnType<typeof queueRunner>): Promise<Measured> {
  const slot = new Map<string, number>();
  const started = Date.now();
  const outcome = await runSuite(suite, {
    outDir: path.join(scratch, label),
    workers: W,
    png: false,
    runner,
    onEvent: (e) => {
      if (e.kind === "run") slot.set(`${e.cell.system}/${e.cell.method}/${e.cell.seed}/${e.cell.world}`, e.wallS - (e.row.wall_s ?? Number.NaN));
    },
  });
  const wallS = (Date.now() - started) / 1000;
  if (outcome.failed > 0) throw new Error(`${label}: ${outcome.failed} cell(s) failed`);
  const overheads = [...slot.values()];
  console.log(`${label}: ${overheads.length} cells in ${wallS.toFixed(1)} s; per-cell overhead median ${(median(overheads) * 1000).toFixed(0)} ms, mean ${(mean(overheads) * 1000).toFixed(0)} ms`);
  return { wallS, cells: overheads.length, overheadMedianS: median(overheads), overheadMeanS: mean(overheads), outcome };
}

async function redisCounters(redis: RedisServer): Promise<{ commands: number; netIn: number; netOut: number; memory: number }> {
  const info = await redis.client.info();
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, "m").exec(info)![1]);
  return { commands: field("total_commands_processed"), netIn: field("total_net_input_bytes"), netOut: field("total_net_output_bytes"), memory: field("used_memory_peak") };
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const workers: WorkerProcess[] = [];
  try {
    console.log(`cells: suite ${args.suite}, systems ${args.systems}, methods ${args.methods ?? "the suite's"}; ${W} workers`);
    const local = await measure("local pool", suiteOf());

    workers.push(...(await Promise.all(Array.from({ length: W }, () => startWorker(["--queue", redis.url, "--suite", args.suite!, "--cache-url", redis.url])))));
    const before = await redisCounters(redis);
    const queued = await measure("queue", suiteOf(), queueRunner(redis.url, suiteOf().name));
    const after = await redisCounters(redis);
    const queueCommands = after.commands - before.commands;
    console.log(`queue: ${queueCommands} Redis commands (${(queueCommands / queued.cells).toFixed(0)} per cell, ${(queueCommands / queued.wallS).toFixed(1)}/s), ${((after.netIn - before.netIn) / queued.cells / 1024).toFixed(1)} KiB in and ${((after.netOut - before.netOut) / queued.cells / 1024).toFixed(1)} KiB out per cell`);

    const cacheRun = async (label: string) => {
      const c0 = await redisCounters(redis);
      const s0 = await sharedCacheStats(redis.client);
      const m = await measure(label, suiteOf({ cache: "read-write" }), queueRunner(redis.url, suiteOf().name));
      const c1 = await redisCounters(redis);
      const s1 = await sharedCacheStats(redis.client);
      const hits = s1.hits - s0.hits;
      const misses = s1.misses - s0.misses;
      const calls = m.outcome.rows.reduce((n, r) => n + (r.llm_calls ?? 0) + (r.test_llm_calls ?? 0), 0);
      const result = { hitRate: hits / (hits + misses), hits, misses, writes: s1.writes - s0.writes, llmCalls: calls, commandsPerCall: (c1.commands - c0.commands) / calls, wallS: m.wallS };
      console.log(`${label}: cache hit rate ${(100 * result.hitRate).toFixed(1)}% (${hits} hits, ${misses} misses, ${result.writes} writes) over ${calls} LLM calls; ${result.commandsPerCall.toFixed(2)} Redis commands per LLM call`);
      return result;
    };
    const cold = await cacheRun("shared cache, cold");
    const warm = await cacheRun("shared cache, warm");
    const entries = await redis.client.dbsize();
    const memory = (await redisCounters(redis)).memory;

    const rows = local.outcome.rows.filter((r) => r.llm_calls !== null);
    const callsPerCell = rows.map((r) => (r.llm_calls ?? 0) + (r.test_llm_calls ?? 0));
    const cellWall = rows.map((r) => r.wall_s ?? 0);
    const report = {
      cells: local.cells,
      workers: W,
      local: { wall_s: local.wallS, overhead_median_ms: local.overheadMedianS * 1000, overhead_mean_ms: local.overheadMeanS * 1000 },
      queue: { wall_s: queued.wallS, overhead_median_ms: queued.overheadMedianS * 1000, overhead_mean_ms: queued.overheadMeanS * 1000, redis_commands_per_cell: queueCommands / queued.cells },
      ratios: { wall_queue_over_local: queued.wallS / local.wallS, overhead_median_queue_over_local: queued.overheadMedianS / local.overheadMedianS },
      cache: { cold, warm, redis_keys: entries, redis_peak_memory_bytes: memory },
      per_cell: { llm_calls_mean: mean(callsPerCell), llm_calls_max: Math.max(...callsPerCell), wall_s_mean: mean(cellWall), wall_s_max: Math.max(...cellWall) },
    };
    console.log(`ratios: queue/local wall ${report.ratios.wall_queue_over_local.toFixed(3)}, per-cell overhead (median) ${report.ratios.overhead_median_queue_over_local.toFixed(2)}`);
    console.log(JSON.stringify(report));
  } finally {
    for (const w of workers) w.child.kill("SIGTERM");
    await Promise.all(workers.map((w) => w.exited));
    await redis.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

void main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench:queue: ${(err as Error).message}`);
    process.exit(1);
  },
);
