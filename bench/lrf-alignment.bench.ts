/**
 * How well the Local Reward Function agrees with the global metric on pairs it never saw:
 * `npm run -s bench:lrf-alignment [-- --systems amazon,stark --worlds 0,1,2 --train 20 --fresh 20 --seeds 3]`.
 *
 * Per system and SimLM world, preference pairs are collected for every optimizable component with
 * the loop's own code (`collectPreferences`, paper-preset collection settings): round 0 on the
 * first `--train` training examples trains the LRF exactly as the loop's initialization does
 * (all components' pairs, `lrfEpochs` epochs, its learning rate and margin mode); round 1 on the
 * next `--fresh` examples (other examples, other sample indices) is the fresh set whose pair
 * accuracy is reported, per component, with its pair count, averaged over `--seeds` LRF seeds
 * (one seed's number moves by several points). Every featurizer is trained and measured on the
 * same pairs. Featurize throughput (rows/s over every collected row, the fastest
 * of three interleaved passes) is measured per featurizer too. Only worlds 0–2 are allowed: the
 * others are kept for untuned checks.
 *
 * `--pairs-dir DIR` keeps each collection as JSON and reuses it on the next run, so featurizers
 * can be compared again without re-collecting. The last line is one JSON object with every number.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { createRuntime } from "../src/repro/runtime";
import { collectPreferences, type CollectedExample, type CollectedPair, type CollectOptions } from "../src/optimas/collect";
import { stableStringify, type Fields } from "../src/core/json";
import { DEFAULT_CONFIG, PRESETS } from "../src/optimas/config";
import { LocalRewardModel, type PairAccuracy, type RewardHead } from "../src/reward/lrf";
import { loadTf } from "../src/reward/backend";
import { HashedNgramFeaturizer } from "../src/reward/hashed-featurizer";
import { StructuredNgramFeaturizer } from "../src/reward/structured-featurizer";
import { marginWeights, pairCredit, usablePairs } from "../src/reward/pairs";
import type { Featurizer, PreferencePair, RewardInput } from "../src/reward/types";

const PAPER_SYSTEMS = ["amazon", "pubmedqa", "hotpotqa", "bigcodebench", "stark"];
/** Worlds the team may tune on; the rest stay untouched for untuned checks. */
const TUNING_WORLDS = [0, 1, 2];

/** The paper preset's knobs: collection and initial LRF training as the loop runs them. */
const PAPER = { ...DEFAULT_CONFIG, ...PRESETS.paper };

const FEATURIZERS: Record<string, () => Featurizer> = {
  "hashed-ngrams": () => new HashedNgramFeaturizer(),
  "structured-ngrams": () => new StructuredNgramFeaturizer(),
};

interface Args {
  systems: string[];
  worlds: number[];
  train: number;
  fresh: number;
  featurizers: string[];
  /** LRF seeds (weight init and shuffles) whose accuracies are averaged. */
  seeds: number;
  pairsDir?: string;
}

interface Pairs {
  train: CollectedPair[];
  fresh: CollectedPair[];
  /** Per component: fresh pairs found again in the retest collection, and the retest's credit on them. */
  retest?: Record<string, { pairs: number; credit: number }>;
}

interface ComponentResult {
  trainPairs: number;
  freshPairs: number;
  /** Training pairs whose min–max margin weight is 0 (the component's smallest gap). */
  zeroMarginShare: number;
  /** Fresh pairs whose gap is above the component's smallest fresh gap (more than one rollout's worth). */
  clearPairs: number;
  accuracy: Record<string, number>;
  /** Fresh pairs whose two outputs the retest drew again, and the retest labels' accuracy on them (see `retestAgreement`). */
  retestPairs: number;
  retestAccuracy: number;
  /** Accuracy on the clear pairs alone: where the labels are least likely to be rollout noise. */
  clearAccuracy: Record<string, number>;
}

/** Paper-preset collection, as the loop's `collectOptions`. */
function collectOptions(round: number): CollectOptions {
  const c = PAPER;
  return { numSamples: c.numSamples, numRollouts: c.numRollouts, minGap: c.minGap, pairRule: c.pairRule, groundTruthInjection: c.groundTruthInjection, sampleTemperature: c.sampleTemperature, concurrency: c.concurrency, round };
}

async function collect(system: string, world: number, args: Args, log: (line: string) => void): Promise<{ pairs: Pairs; heads: { name: string; description: string }[] }> {
  const rt = createRuntime({ system, world, seed: 0 });
  const heads = rt.system.optimizableComponents.map((c) => ({ name: c.name, description: c.description }));
  const file = args.pairsDir && path.join(args.pairsDir, `${system}-w${world}-t${args.train}-f${args.fresh}.json`);
  const cached = file && fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as Pairs) : undefined;
  if (cached?.retest) return { pairs: cached, heads };
  const trainSet = rt.data.train.slice(0, args.train);
  const freshSet = rt.data.train.slice(args.train, args.train + args.fresh);
  if (freshSet.length === 0) throw new Error(`${system}: only ${rt.data.train.length} training examples; lower --train`);
  const pairs: Pairs = cached ?? { train: [], fresh: [] };
  pairs.retest = {};
  const start = performance.now();
  for (const c of heads) {
    if (!cached) {
      pairs.train.push(...(await collectPreferences(rt.system, c.name, trainSet, rt.ctx, collectOptions(0))).pairs);
      pairs.fresh.push(...(await collectPreferences(rt.system, c.name, freshSet, rt.ctx, collectOptions(1))).pairs);
    }
    const retest = await collectPreferences(rt.system, c.name, freshSet, rt.ctx, collectOptions(2));
    pairs.retest[c.name] = retestAgreement(pairs.fresh.filter((p) => p.component === c.name), retest.examples);
  }
  log(`${system} world ${world}: collected ${pairs.train.length} train and ${pairs.fresh.length} fresh pairs on ${trainSet.length} + ${freshSet.length} examples, and the retest, in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  if (file) {
    fs.mkdirSync(args.pairsDir!, { recursive: true });
    fs.writeFileSync(file, JSON.stringify(pairs));
  }
  return { pairs, heads };
}

/**
 * How repeatable the labels are: the fresh collection again at other sample indices (round 2, so
 * other rollouts), and for each fresh pair whose two outputs the retest drew again for the same
 * example, the retest's verdict as a pair-accuracy credit (1 same order, 0.5 tie, 0 reversed). A
 * label that picks A with probability p agrees with an independent copy of itself with probability
 * a = p² + (1−p)², and the best any reward model can do against it is max(p, 1−p) =
 * (1 + √(2a − 1)) / 2 (`accuracyCeiling`; concave in a, so applied to the mean agreement it
 * overstates the mean ceiling). Near a = 0.5 the labels are noise: the component barely changes
 * the metric. Near 1 they repeat, though they may still depend on the example in ways its inputs
 * and outputs do not show. Only components whose inputs do not change between rounds (no sampled
 * component upstream) and whose outputs repeat (search values, small output spaces) get repeats.
 */
function retestAgreement(fresh: readonly CollectedPair[], retest: readonly CollectedExample[]): { pairs: number; credit: number } {
  const scores = new Map<string, number>();
  for (const e of retest) for (const c of e.candidates) scores.set(candidateKey(e.exampleId, e.inputs, c.outputs), c.score);
  let pairs = 0;
  let credit = 0;
  for (const p of usablePairs(fresh).pairs) {
    const chosen = scores.get(candidateKey(p.exampleId, p.inputs, p.chosen));
    const rejected = scores.get(candidateKey(p.exampleId, p.inputs, p.rejected));
    if (chosen === undefined || rejected === undefined) continue;
    pairs++;
    credit += pairCredit(chosen, rejected);
  }
  return { pairs, credit };
}

/** The same candidate: same example, same inputs (upstream outputs can differ between rounds), same outputs. */
function candidateKey(exampleId: string, inputs: Fields, outputs: Fields): string {
  return `${exampleId}\u0000${stableStringify(inputs)}\u0000${stableStringify(outputs)}`;
}

const MIN_RETEST_PAIRS = 10;

/** Best pair accuracy achievable against labels whose retest agreement is `a` (see `retestAgreement`). */
function accuracyCeiling(a: number): number {
  return (1 + Math.sqrt(Math.max(0, 2 * a - 1))) / 2;
}

/** Rows the featurizer sees for these pairs (chosen and rejected sides). */
function rewardInputs(pairs: readonly PreferencePair[], descriptions: ReadonlyMap<string, string>): RewardInput[] {
  return pairs.flatMap((p) => [p.chosen, p.rejected].map((outputs) => ({ component: p.component, description: descriptions.get(p.component)!, inputs: p.inputs, outputs })));
}

/** The pairs whose gap exceeds the smallest gap among them; none when every gap is equal. */
function clearPairs<P extends PreferencePair>(pairs: readonly P[]): P[] {
  const usable = usablePairs(pairs).pairs;
  const smallest = Math.min(...usable.map((p) => p.scoreChosen - p.scoreRejected));
  return usable.filter((p) => p.scoreChosen - p.scoreRejected > smallest + 1e-9);
}

function zeroMarginShare(pairs: readonly PreferencePair[]): number {
  const usable = usablePairs(pairs).pairs;
  if (usable.length === 0) return Number.NaN;
  const w = marginWeights(usable, "minmax");
  return w.filter((x) => x === 0).length / usable.length;
}

async function measure(args: Args, log: (line: string) => void) {
  const results: Record<string, Record<string, ComponentResult>> = {};
  const featurizeMs: Record<string, number> = Object.fromEntries(args.featurizers.map((f) => [f, 0]));
  let featurizedRows = 0;
  for (const system of args.systems) {
    for (const world of args.worlds) {
      const { pairs, heads } = await collect(system, world, args, log);
      const key = `${system}/w${world}`;
      results[key] = {};
      for (const h of heads) {
        const own = (ps: CollectedPair[]) => ps.filter((p) => p.component === h.name);
        results[key][h.name] = {
          trainPairs: usablePairs(own(pairs.train)).pairs.length,
          freshPairs: usablePairs(own(pairs.fresh)).pairs.length,
          zeroMarginShare: zeroMarginShare(own(pairs.train)),
          clearPairs: clearPairs(own(pairs.fresh)).length,
          retestPairs: pairs.retest?.[h.name]?.pairs ?? 0,
          retestAccuracy: pairs.retest?.[h.name] ? pairs.retest[h.name]!.credit / pairs.retest[h.name]!.pairs : Number.NaN,
          accuracy: {},
          clearAccuracy: {},
        };
      }
      const rows = rewardInputs([...pairs.train, ...pairs.fresh], new Map(heads.map((h) => [h.name, h.description])));
      featurizedRows += rows.length;
      for (const [name, ms] of Object.entries(await featurizeTimes(args.featurizers, rows))) featurizeMs[name]! += ms;
      for (const name of args.featurizers) {
        const runs = [];
        for (let seed = 0; seed < args.seeds; seed++) runs.push(await trainAndMeasure(FEATURIZERS[name]!(), heads, pairs, seed));
        for (const h of heads) {
          results[key][h.name]!.accuracy[name] = meanFinite(runs.map((r) => r.fresh.perComponent[h.name]?.accuracy ?? Number.NaN));
          results[key][h.name]!.clearAccuracy[name] = meanFinite(runs.map((r) => r.clear.perComponent[h.name]?.accuracy ?? Number.NaN));
        }
      }
      for (const h of heads) {
        const r = results[key][h.name]!;
        log(`  ${key} ${h.name}: ${r.trainPairs} train / ${r.freshPairs} fresh pairs (${r.clearPairs} clear), retest ${fmt(r.retestAccuracy)} on ${r.retestPairs}, ${args.featurizers.map((f) => `${f} ${fmt(r.accuracy[f])} (clear ${fmt(r.clearAccuracy[f])})`).join(", ")}`);
      }
    }
  }
  const rowsPerS = Object.fromEntries(args.featurizers.map((f) => [f, Math.round(featurizedRows / (featurizeMs[f]! / 1000))]));
  return { results, rowsPerS, featurizedRows };
}

/** The loop's initial LRF training (all components' pairs, its epochs, learning rate and margin mode), then its fresh-pair accuracy. */
async function trainAndMeasure(featurizer: Featurizer, heads: RewardHead[], pairs: Pairs, seed: number): Promise<{ fresh: PairAccuracy; clear: PairAccuracy }> {
  const lrf = await LocalRewardModel.create({ heads, featurizer, seed });
  try {
    await lrf.train(pairs.train, { epochs: PAPER.lrfEpochs, learningRate: PAPER.lrfLearningRate, marginMode: PAPER.marginMode });
    const fresh = await lrf.pairAccuracy(pairs.fresh);
    const clear = await lrf.pairAccuracy(heads.flatMap((h) => clearPairs(pairs.fresh.filter((p) => p.component === h.name))));
    return { fresh, clear };
  } finally {
    lrf.dispose();
  }
}

/** Fastest of three interleaved passes per featurizer: on a shared machine the minimum is the least disturbed. */
const TIMING_PASSES = 3;
async function featurizeTimes(names: readonly string[], rows: readonly RewardInput[]): Promise<Record<string, number>> {
  const best: Record<string, number> = Object.fromEntries(names.map((n) => [n, Infinity]));
  for (let pass = 0; pass < TIMING_PASSES; pass++) {
    for (const name of names) {
      const featurizer = FEATURIZERS[name]!();
      const t = performance.now();
      await featurizer.featurize(rows);
      best[name] = Math.min(best[name]!, performance.now() - t);
    }
  }
  return best;
}

function fmt(x: number | undefined): string {
  return x === undefined || Number.isNaN(x) ? "  -  " : x.toFixed(3);
}

/**
 * Per system and component, over the worlds: pairs summed, accuracies pair-weighted (a world with
 * 2 fresh pairs does not count as much as one with 200); then each system's mean over its
 * components, the number the ≥ 0.70 goal is about.
 */
function table(args: Args, results: Record<string, Record<string, ComponentResult>>): string[] {
  const names = args.featurizers;
  const lines = [
    `| system | component | train pairs | min-max zero share | fresh pairs | ${names.join(" | ")} | clear pairs | ${names.map((f) => `${f} (clear)`).join(" | ")} | retest pairs | retest agreement | accuracy ceiling |`,
    `|---|---|---|---|---|${names.map(() => "---|").join("")}---|${names.map(() => "---|").join("")}---|---|---|`,
  ];
  for (const system of args.systems) {
    const perWorld = args.worlds.map((w) => results[`${system}/w${w}`]!);
    const means: Record<string, number[]> = Object.fromEntries(names.map((f) => [f, []]));
    for (const c of Object.keys(perWorld[0]!)) {
      const rs = perWorld.map((r) => r[c]!);
      const sum = (count: (r: ComponentResult) => number) => rs.reduce((s, r) => s + count(r), 0);
      const weighted = (count: (r: ComponentResult) => number, accuracy: (r: ComponentResult) => number | undefined) => {
        const counted = rs.filter((r) => count(r) > 0 && Number.isFinite(accuracy(r)));
        const n = counted.reduce((s, r) => s + count(r), 0);
        return n === 0 ? Number.NaN : counted.reduce((s, r) => s + accuracy(r)! * count(r), 0) / n;
      };
      const acc = Object.fromEntries(names.map((f) => [f, weighted((r) => r.freshPairs, (r) => r.accuracy[f])]));
      const clear = names.map((f) => fmt(weighted((r) => r.clearPairs, (r) => r.clearAccuracy[f])));
      const retestPairs = sum((r) => r.retestPairs);
      // Fewer repeats than this say little about how noisy a component's labels are.
      const agreement = retestPairs >= MIN_RETEST_PAIRS ? weighted((r) => r.retestPairs, (r) => r.retestAccuracy) : Number.NaN;
      for (const f of names) if (Number.isFinite(acc[f])) means[f]!.push(acc[f]!);
      lines.push(
        `| ${system} | ${c} | ${sum((r) => r.trainPairs)} | ${fmt(meanFinite(rs.map((r) => r.zeroMarginShare)))} | ${sum((r) => r.freshPairs)} | ${names.map((f) => fmt(acc[f])).join(" | ")} | ` +
          `${sum((r) => r.clearPairs)} | ${clear.join(" | ")} | ${retestPairs} | ${fmt(agreement)} | ${fmt(accuracyCeiling(agreement))} |`,
      );
    }
    lines.push(`| **${system}** | mean over components | | | | ${names.map((f) => `**${fmt(meanFinite(means[f]!))}**`).join(" | ")} | |${names.map(() => " |").join("")} | | | |`);
  }
  return lines;
}

function meanFinite(xs: readonly number[]): number {
  const ok = xs.filter(Number.isFinite);
  return ok.length === 0 ? Number.NaN : ok.reduce((a, b) => a + b, 0) / ok.length;
}

function readArgs(): Args {
  const { values } = parseArgs({
    options: {
      systems: { type: "string", default: PAPER_SYSTEMS.join(",") },
      worlds: { type: "string", default: TUNING_WORLDS.join(",") },
      train: { type: "string", default: "20" },
      fresh: { type: "string", default: "20" },
      featurizers: { type: "string", default: Object.keys(FEATURIZERS).join(",") },
      seeds: { type: "string", default: "3" },
      "pairs-dir": { type: "string" },
    },
  });
  const list = (raw: string) => raw.split(",").map((s) => s.trim()).filter(Boolean);
  const positive = (name: string, raw: string) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer (got "${raw}")`);
    return n;
  };
  const worlds = list(values.worlds).map(Number);
  const untuned = worlds.filter((w) => !TUNING_WORLDS.includes(w));
  if (untuned.length > 0) throw new Error(`--worlds: ${untuned.join(", ")} not allowed; this measurement informs tuning, so it uses worlds ${TUNING_WORLDS.join(", ")} only`);
  const featurizers = list(values.featurizers);
  const unknown = featurizers.filter((f) => !(f in FEATURIZERS));
  if (unknown.length > 0) throw new Error(`--featurizers: unknown ${unknown.join(", ")}; use a comma list of ${Object.keys(FEATURIZERS).join(", ")}`);
  return { systems: list(values.systems), worlds, train: positive("train", values.train), fresh: positive("fresh", values.fresh), seeds: positive("seeds", values.seeds), featurizers, pairsDir: values["pairs-dir"] };
}

async function main(): Promise<void> {
  const args = readArgs();
  await loadTf();
  const log = (line: string) => console.log(line);
  const start = performance.now();
  const { results, rowsPerS, featurizedRows } = await measure(args, log);
  log(`\nfresh-pair accuracy (pair-weighted over worlds ${args.worlds.join(", ")}; ${args.train} train + ${args.fresh} fresh examples per world; LRF seeds 0–${args.seeds - 1} averaged; ${((performance.now() - start) / 1000).toFixed(0)} s)`);
  for (const line of table(args, results)) log(line);
  const [first, ...rest] = args.featurizers;
  log(`featurize throughput over ${featurizedRows} rows: ${args.featurizers.map((f) => `${f} ${rowsPerS[f]} rows/s`).join(", ")}${rest.length ? ` (ratio to ${first}: ${rest.map((f) => (rowsPerS[f]! / rowsPerS[first!]!).toFixed(2)).join(", ")})` : ""}`);
  console.log(JSON.stringify({ args, rowsPerS, results }));
}

main().catch((err: unknown) => {
  console.error(`bench:lrf-alignment: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
