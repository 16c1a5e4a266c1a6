import * as aq from "arquero";
import { bootstrapStatisticCi95, ci95, mean } from "../core/stats";
import { createRng } from "../core/random";
import { hasResult, rowsAtCap, type ResultRow } from "./results";
import type { MethodRole } from "../core/method";
import { UNOPTIMIZED_ID } from "./method-ids";

/**
 * The numbers of a suite's summary, computed exactly as the protocol says: per system,
 * gain = (Optimas − best baseline) / best baseline on the test metric averaged over runs, the
 * headline is the mean of the per-system gains, and its 95% interval is a percentile bootstrap
 * over (seed, world) units — all methods of a unit are resampled together, and the best baseline
 * is chosen again in every resample. Computed twice: against the paper's baselines (like for like
 * with its 11.92%) and against every baseline, this project's extras included.
 */

export interface MethodInfo {
  id: string;
  title: string;
  role: MethodRole;
  /** True for the unoptimized row derived from the runs' `test_before` (no such method in the suite). */
  derived: boolean;
}

export interface CellStat {
  mean: number | null;
  /** Half-width of the 95% t interval over runs; 0 with one run. */
  ci95: number;
  /** Runs with a result, out of `expected`. */
  n: number;
  expected: number;
  notApplicable: boolean;
}

export interface SystemGain {
  system: string;
  optimas: number | null;
  bestBaseline: { method: string; mean: number } | null;
  /** (Optimas − best baseline) / best baseline, a ratio (0.1192 = 11.92%); null when undefined. */
  gain: number | null;
  ci: [number, number] | null;
  /** Whether this system enters the headline (a paper system with a defined gain). */
  inHeadline: boolean;
}

/** Optimas against the best of one set of baselines, per system and on average. */
export interface Comparison {
  gains: SystemGain[];
  headline: { gain: number | null; ci: [number, number] | null; systems: string[] };
}

export interface SuiteAggregate extends Comparison {
  methods: MethodInfo[];
  systems: string[];
  /** (seed, world) units of the suite. */
  units: { seed: number; world: number }[];
  table: Record<string, Record<string, CellStat>>;
  /** The same comparison against every baseline, `extra-baseline` methods included. */
  allBaselines: Comparison;
  /** The table and both comparisons again at each system-run cap, from each run's incumbent there (ascending caps). */
  atCaps: CapAggregate[];
}

export type CapAggregate = Pick<SuiteAggregate, "table" | "gains" | "headline" | "allBaselines"> & { cap: number };

const PAPER_BASELINES: readonly MethodRole[] = ["baseline"];
const ALL_BASELINES: readonly MethodRole[] = ["baseline", "extra-baseline"];

export interface AggregateInput {
  rows: readonly ResultRow[];
  systems: readonly string[];
  methods: readonly Omit<MethodInfo, "derived">[];
  seeds: readonly number[];
  worlds: readonly number[];
  /** Systems that count toward the headline (the paper's five). */
  paperSystems: ReadonlySet<string>;
  /** Seeds the bootstrap stream; the same suite gives the same interval. */
  bootstrapSeed: string;
  resamples?: number;
  /** The suite's system-run caps (results.csv's test_at_caps); none: no per-cap aggregates. */
  runCaps?: readonly number[];
}

const unitKey = (seed: number, world: number) => `${seed}/${world}`;

type Scores = Map<string, Map<string, Map<string, number>>>;

/**
 * Test means, one row per (system, method, unit) with a result: system, method, unit, score. With a
 * derived unoptimized row, each unit's first run's test_before is that row's score (every run scores
 * the unoptimized system on the same test split first).
 */
function scoreTable(input: AggregateInput, methods: readonly MethodInfo[]): aq.ColumnTable {
  const done = aq
    .from(input.rows.filter((r) => hasResult(r) && input.systems.includes(r.system)), ["system", "method", "seed", "world", "test_mean", "test_before"])
    .derive({ unit: aq.escape((d: ResultRow) => unitKey(d.seed, d.world)) });
  const known = new Set(methods.map((m) => m.id));
  const own = done.filter(aq.escape((d: ResultRow) => known.has(d.method))).select("system", "method", "unit", { test_mean: "score" });
  if (!methods.some((m) => m.derived)) return own;
  const derived = done
    .filter(aq.escape((d: ResultRow) => d.test_before !== null))
    .dedupe("system", "unit")
    .derive({ method: aq.escape(() => UNOPTIMIZED_ID) })
    .select("system", "method", "unit", { test_before: "score" });
  return own.concat(derived);
}

/** The scores by system → method → unit, for the bootstrap's lookups. */
function scoreMaps(input: AggregateInput, methods: readonly MethodInfo[], scores: aq.ColumnTable): Scores {
  const maps: Scores = new Map(input.systems.map((s) => [s, new Map(methods.map((m) => [m.id, new Map<string, number>()]))]));
  for (const r of scores.objects() as { system: string; method: string; unit: string; score: number }[]) maps.get(r.system)!.get(r.method)!.set(r.unit, r.score);
  return maps;
}

const cellKey = (system: string, method: string) => `${system}\u0000${method}`;

/** Each (system, method) cell's scores over units, in row order. */
function cellScores(scores: aq.ColumnTable): Map<string, number[]> {
  const cells = scores.groupby("system", "method").rollup({ values: aq.op.array_agg("score") }).objects() as { system: string; method: string; values: number[] }[];
  return new Map(cells.map((c) => [cellKey(c.system, c.method), c.values]));
}

/** The (system, method) cells whose every row is "n/a" (the method does not apply to the system). */
function notApplicableCells(rows: readonly ResultRow[]): Set<string> {
  const cells = aq
    .from(rows, ["system", "method", "status"])
    .derive({ na: aq.escape((d: ResultRow) => (d.status === "n/a" ? 1 : 0)) })
    .groupby("system", "method")
    .rollup({ all: aq.op.min("na") })
    .objects() as { system: string; method: string; all: number }[];
  return new Set(cells.filter((c) => c.all === 1).map((c) => cellKey(c.system, c.method)));
}

/** Mean over the given units (with repeats, as a bootstrap draws them) of the units that have a value. */
function meanOver(values: Map<string, number> | undefined, unitKeys: readonly string[]): number | null {
  const xs = unitKeys.map((k) => values?.get(k)).filter((v): v is number => v !== undefined);
  return xs.length > 0 ? mean(xs) : null;
}

function gainOver(bySystem: Map<string, Map<string, number>>, methods: readonly MethodInfo[], baselines: readonly MethodRole[], unitKeys: readonly string[]) {
  const optimasId = methods.find((m) => m.role === "optimas")?.id;
  const optimas = optimasId === undefined ? null : meanOver(bySystem.get(optimasId), unitKeys);
  let best: { method: string; mean: number } | null = null;
  for (const m of methods) {
    if (!baselines.includes(m.role)) continue;
    const v = meanOver(bySystem.get(m.id), unitKeys);
    if (v !== null && (best === null || v > best.mean)) best = { method: m.id, mean: v };
  }
  const gain = optimas !== null && best !== null && best.mean > 0 ? (optimas - best.mean) / best.mean : null;
  return { optimas, best, gain };
}

export function aggregateSuite(input: AggregateInput): SuiteAggregate {
  const methods: MethodInfo[] = input.methods.map((m) => ({ ...m, derived: false }));
  if (!methods.some((m) => m.id === UNOPTIMIZED_ID)) {
    methods.unshift({ id: UNOPTIMIZED_ID, title: "Unoptimized (test score before optimizing, from every run)", role: "baseline", derived: true });
  }
  const units = input.seeds.flatMap((seed) => input.worlds.map((world) => ({ seed, world })));
  const allUnits = units.map((u) => unitKey(u.seed, u.world));
  const scoreRows = scoreTable(input, methods);
  const scores = scoreMaps(input, methods, scoreRows);
  const cells = cellScores(scoreRows);
  const notApplicable = notApplicableCells(input.rows);

  const table: SuiteAggregate["table"] = {};
  for (const system of input.systems) {
    table[system] = {};
    for (const m of methods) {
      const values = cells.get(cellKey(system, m.id)) ?? [];
      table[system]![m.id] = {
        mean: values.length > 0 ? mean(values) : null,
        ci95: ci95(values),
        n: values.length,
        expected: allUnits.length,
        notApplicable: !m.derived && notApplicable.has(cellKey(system, m.id)),
      };
    }
  }

  const compare = (baselines: readonly MethodRole[], stream: string): Comparison => {
    const rngFor = (what: string) => createRng(`${input.bootstrapSeed}/${stream}${what}`);
    const resamples = input.resamples ?? 2000;
    const drawn = (idx: readonly number[]) => idx.map((i) => allUnits[i]!);
    const gains: SystemGain[] = input.systems.map((system) => {
      const bySystem = scores.get(system)!;
      const point = gainOver(bySystem, methods, baselines, allUnits);
      const ci =
        point.gain === null || allUnits.length < 2
          ? null
          : bootstrapStatisticCi95(allUnits.length, (idx) => gainOver(bySystem, methods, baselines, drawn(idx)).gain ?? Number.NaN, rngFor(system), resamples);
      return { system, optimas: point.optimas, bestBaseline: point.best, gain: point.gain, ci, inHeadline: point.gain !== null && input.paperSystems.has(system) };
    });
    const headlineSystems = gains.filter((g) => g.inHeadline).map((g) => g.system);
    const headlineOver = (unitKeys: readonly string[]) => mean(headlineSystems.map((s) => gainOver(scores.get(s)!, methods, baselines, unitKeys).gain ?? Number.NaN));
    const headlineGain = headlineSystems.length > 0 ? headlineOver(allUnits) : null;
    const headlineCi = headlineGain === null || allUnits.length < 2 ? null : bootstrapStatisticCi95(allUnits.length, (idx) => headlineOver(drawn(idx)), rngFor("headline"), resamples);
    return { gains, headline: { gain: headlineGain, ci: headlineCi, systems: headlineSystems } };
  };
  // Each cap is the same aggregation over the runs' incumbents at that cap, with its own bootstrap stream.
  const atCaps = [...(input.runCaps ?? [])]
    .sort((a, b) => a - b)
    .map((cap): CapAggregate => {
      const { table: capTable, gains, headline, allBaselines } = aggregateSuite({ ...input, rows: rowsAtCap(input.rows, cap), runCaps: undefined, bootstrapSeed: `${input.bootstrapSeed}/cap/${cap}` });
      return { cap, table: capTable, gains, headline, allBaselines };
    });
  return { methods, systems: [...input.systems], units, table, ...compare(PAPER_BASELINES, ""), allBaselines: compare(ALL_BASELINES, "all/"), atCaps };
}

/**
 * The aggregate the headline is taken from: at the suite's headline cap when it has caps (its
 * gains and their bootstrap), else the runs' final states. summary.md and the figures page share it.
 */
export function headlineAggregate(agg: SuiteAggregate, headlineCap: number | undefined): { cap: number | null; agg: SuiteAggregate } {
  const atCap = agg.atCaps.find((c) => c.cap === headlineCap);
  return atCap ? { cap: atCap.cap, agg: { ...agg, headline: atCap.headline, gains: atCap.gains, allBaselines: atCap.allBaselines } } : { cap: null, agg };
}
