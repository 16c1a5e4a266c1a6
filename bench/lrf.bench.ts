/**
 * Local Reward Function benchmarks: `npm run bench:lrf [-- --pairs 1024 --epochs 2 --backends wasm,cpu --hash-bits 11]`.
 *
 * Each section measures one thing and returns its numbers under its own key(s); the script prints
 * a human line per measurement and, as its last line, one JSON object merging every section's
 * result (e.g. `{"pairs_per_s":{"wasm":…,"cpu":…}, …}`). To add a measurement (such as per-iteration
 * time splits under `iteration_ms`), write another `BenchSection` and append it to `SECTIONS`.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { BACKEND_ORDER, loadTf, type TfBackend } from "../src/reward/backend";
import { HashedNgramFeaturizer } from "../src/reward/hashed-featurizer";
import { LocalRewardModel, type RewardHead } from "../src/reward/lrf";
import { syntheticPairs } from "../src/reward/synthetic";
import { RunDir } from "../src/core/run-dir";
import { resolveConfig } from "../src/optimas/config";
import { runOptimas } from "../src/optimas/optimize";
import { createRuntime } from "../src/repro/runtime";
import { SIMLM_META_MODELS } from "../src/repro/meta-model";

interface BenchConfig {
  pairs: number;
  epochs: number;
  batchSize: number;
  hashBits: number;
  backends: TfBackend[];
}

type BenchSection = (config: BenchConfig, log: (line: string) => void) => Promise<Record<string, unknown>>;

const HEADS: RewardHead[] = [
  { name: "extract", description: "Answers the question with a span of the passage." },
  { name: "marker", description: "Answers the question and marks grounded answers." },
];

/**
 * Training throughput (pairs per second, featurization included) of the default model on each
 * backend, over the same synthetic pairs. tfjs backends are process-global, so each is activated
 * in turn and gets a fresh model; a one-batch warm-up first keeps kernel setup out of the timing.
 */
const trainingThroughput: BenchSection = async (config, log) => {
  const half = Math.ceil(config.pairs / 2);
  const pairs = [
    ...syntheticPairs({ component: "extract", prefer: "copied", count: half, seed: "bench/extract", scores: "graded" }),
    ...syntheticPairs({ component: "marker", prefer: "marker", count: config.pairs - half, seed: "bench/marker", scores: "graded" }),
  ];
  const pairsPerS: Partial<Record<TfBackend, number>> = {};
  for (const backend of config.backends) {
    await loadTf({ backend });
    const model = await LocalRewardModel.create({ heads: HEADS, featurizer: new HashedNgramFeaturizer({ hashBits: config.hashBits }), backend, seed: 0 });
    try {
      await model.train(pairs.slice(0, config.batchSize), { epochs: 1, batchSize: config.batchSize });
      const start = performance.now();
      const report = await model.train(pairs, { epochs: config.epochs, batchSize: config.batchSize });
      const seconds = (performance.now() - start) / 1000;
      const rate = (pairs.length * config.epochs) / seconds;
      pairsPerS[backend] = Math.round(rate * 10) / 10;
      const last = report.epochs.at(-1)!;
      log(
        `lrf train ${backend}: ${pairs.length} pairs x ${config.epochs} epochs in ${seconds.toFixed(2)} s = ${rate.toFixed(1)} pairs/s ` +
          `(input dim ${model.featurizer.dim}, hidden ${model.hidden.join("x")}, batch ${config.batchSize}; last epoch loss ${last.loss.toFixed(4)}, pair accuracy ${last.pairAccuracy.toFixed(3)})`,
      );
    } finally {
      model.dispose();
    }
  }
  return { pairs_per_s: pairsPerS };
};

/**
 * Where an Optimas iteration spends its time: the mean per-stage wall time over the iterations of
 * a paper-preset run on the toy system (SimLM world 0, wasm backend), in milliseconds.
 */
const iterationSplit: BenchSection = async (_config, log) => {
  await loadTf({ backend: "wasm" });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-lrf-"));
  try {
    const rt = createRuntime({ system: "toy", world: 0, seed: 0 });
    const start = performance.now();
    const out = await runOptimas({ system: rt.system, train: rt.data.train, val: rt.data.val, ctx: rt.ctx, config: resolveConfig("paper", SIMLM_META_MODELS), runDir: new RunDir(dir) });
    const total = performance.now() - start;
    out.lrf.dispose();
    const history = out.checkpoint.history;
    const stages = ["collect", "lrf", "optimize", "validate"] as const;
    const ms = Object.fromEntries(stages.map((k) => [k, Math.round((history.reduce((s, h) => s + h.ms[k], 0) / history.length) * 10) / 10]));
    log(`optimas iteration (toy, paper preset, ${history.length} iterations, ${(total / 1000).toFixed(1)} s in all incl. setup): mean ms per iteration ${JSON.stringify(ms)}`);
    return { iteration_ms: ms };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
};

const SECTIONS: BenchSection[] = [iterationSplit, trainingThroughput];

function readConfig(): BenchConfig {
  const { values } = parseArgs({
    options: {
      pairs: { type: "string", default: "1024" },
      epochs: { type: "string", default: "2" },
      "batch-size": { type: "string", default: "32" },
      "hash-bits": { type: "string", default: "11" },
      backends: { type: "string", default: "wasm,cpu" },
    },
  });
  const int = (name: string, raw: string) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer (got "${raw}")`);
    return n;
  };
  const backends = values.backends.split(",").map((b) => b.trim());
  const unknown = backends.filter((b) => !(BACKEND_ORDER as readonly string[]).includes(b));
  if (unknown.length) throw new Error(`--backends: unknown ${unknown.join(", ")}; use a comma list of ${BACKEND_ORDER.join(", ")}`);
  return {
    pairs: int("pairs", values.pairs),
    epochs: int("epochs", values.epochs),
    batchSize: int("batch-size", values["batch-size"]),
    hashBits: int("hash-bits", values["hash-bits"]),
    backends: backends as TfBackend[],
  };
}

async function main(): Promise<void> {
  const config = readConfig();
  const result: Record<string, unknown> = {};
  for (const section of SECTIONS) Object.assign(result, await section(config, (line) => console.log(line)));
  result.config = config;
  console.log(JSON.stringify(result));
}

main().catch((err: unknown) => {
  console.error(`bench:lrf: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
