/**
 * bench:lm — what model access costs, measured in one run:
 *   1. the median per-call time of SimLM in process, on the toy system's real requests;
 *   2. LMClient's overhead as a ratio to that bare call, with the cache off and on a cache hit;
 *   3. calls per second through serve-sim with the official openai SDK at concurrency 1, 8 and 32.
 * Targets: (1) under 100 µs, (2) under 1.5, (3) above 1,000 calls/s at concurrency 32.
 * The last line printed is one JSON object with every number, for scripts.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { mapLimit } from "../src/core/concurrency";
import { RunContext } from "../src/core/context";
import { OracleStore } from "../src/data/oracle";
import { ResponseCache } from "../src/lm/cache";
import { LMClient } from "../src/lm/client";
import { OpenAIProvider } from "../src/lm/openai-provider";
import { serveSim } from "../src/lm/sim/server";
import { SimLM } from "../src/lm/sim/simlm";
import type { ChatMeta, ChatRequest, LM } from "../src/core/lm-types";
import { getSystem } from "../src/systems/registry";

const ROUNDS = 3;
const CALLS_PER_ROUND = 4_000;
const HTTP_CALLS = 3_000;

interface Call {
  request: ChatRequest;
  meta: ChatMeta;
}

/** The requests the toy system really sends: run it on a few examples with a recording LM. */
async function toyCalls(simlm: SimLM): Promise<Call[]> {
  const entry = getSystem("toy");
  const system = entry.build({});
  const calls: Call[] = [];
  const recorder: LM = {
    providerId: simlm.id,
    chat: async (request, meta = {}) => {
      calls.push({ request, meta });
      return { ...(await simlm.chat(request, meta)), cached: false };
    },
    embed: (texts) => simlm.embed(texts),
  };
  const ctx = new RunContext({ lm: recorder, seed: 0 });
  for (const example of entry.load({}).train.slice(0, 16)) await system.run(example, ctx);
  if (calls.length === 0) throw new Error("the toy system made no LM calls; nothing to benchmark");
  return calls;
}

/** Call i: the recorded calls in turn, each round on fresh sample indices so no two calls repeat. */
const nth = (calls: Call[], i: number, round: number): Call => {
  const c = calls[i % calls.length]!;
  return { request: { ...c.request, sampleIndex: round * CALLS_PER_ROUND + i }, meta: c.meta };
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Median µs per call of `chat`, timing each awaited call on its own. */
async function medianMicros(calls: Call[], round: number, chat: (c: Call) => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < CALLS_PER_ROUND; i++) {
    const c = nth(calls, i, round);
    const t0 = process.hrtime.bigint();
    await chat(c);
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return median(times);
}

async function main(): Promise<void> {
  const entry = getSystem("toy");
  const oracles = new OracleStore();
  entry.registerOracles(oracles, {});
  const simlm = new SimLM({ world: 0, oracles });
  const calls = await toyCalls(simlm);
  const cacheDir = mkdtempSync(path.join(tmpdir(), "bench-lm-"));
  try {
    const bare = (c: Call) => simlm.chat(c.request, c.meta);
    const noCache = new LMClient({ provider: simlm });
    const withCache = new LMClient({ provider: simlm, cache: new ResponseCache({ dir: cacheDir }) });
    // Warm-up: JIT, and the cache entries the hit measurement replays (round 0).
    await medianMicros(calls, 0, bare);
    await medianMicros(calls, 0, (c) => noCache.chat(c.request, c.meta));
    await medianMicros(calls, 0, (c) => withCache.chat(c.request, c.meta));

    // Rounds interleave the three measurements so drift in machine load hits them alike.
    const bareUs: number[] = [];
    const clientUs: number[] = [];
    const hitUs: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      bareUs.push(await medianMicros(calls, round, bare));
      clientUs.push(await medianMicros(calls, round, (c) => noCache.chat(c.request, c.meta)));
      hitUs.push(await medianMicros(calls, 0, (c) => withCache.chat(c.request, c.meta)));
    }
    const simlmUs = median(bareUs);
    const ratioNoCache = median(clientUs) / simlmUs;
    const ratioHit = median(hitUs) / simlmUs;
    console.log(`toy system: ${calls.length} recorded requests, ${CALLS_PER_ROUND} timed calls per round, median of ${ROUNDS} rounds`);
    console.log(`SimLM in process          median ${simlmUs.toFixed(1)} µs/call   (target < 100)`);
    console.log(`LMClient, cache off       median ${median(clientUs).toFixed(1)} µs/call   ratio ${ratioNoCache.toFixed(2)} (target < 1.5)`);
    console.log(`LMClient, cache hit       median ${median(hitUs).toFixed(1)} µs/call   ratio ${ratioHit.toFixed(2)} (target < 1.5)`);

    const server = await serveSim({ provider: simlm });
    const http: Record<string, number> = {};
    try {
      const remote = new OpenAIProvider({ baseURL: server.url, env: {} });
      await mapLimit(calls, 8, (c) => remote.chat(c.request, c.meta)); // opens the connections
      for (const concurrency of [1, 8, 32]) {
        const jobs = Array.from({ length: HTTP_CALLS }, (_, i) => nth(calls, i, 0));
        const t0 = performance.now();
        await mapLimit(jobs, concurrency, (c) => remote.chat(c.request, c.meta));
        http[`c${concurrency}`] = Math.round((HTTP_CALLS / (performance.now() - t0)) * 1000);
        console.log(`serve-sim via openai SDK  concurrency ${String(concurrency).padStart(2)}: ${http[`c${concurrency}`]} calls/s${concurrency === 32 ? "   (target > 1000)" : ""}`);
      }
    } finally {
      await server.close();
    }
    console.log(
      JSON.stringify({
        simlm_median_us: Number(simlmUs.toFixed(2)),
        overhead_ratio_nocache: Number(ratioNoCache.toFixed(3)),
        overhead_ratio_cachehit: Number(ratioHit.toFixed(3)),
        http_calls_per_s: http,
      }),
    );
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
