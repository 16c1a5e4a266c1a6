import * as fs from "node:fs";
import * as path from "node:path";
import * as aq from "arquero";
import { readJson } from "../core/files";
import type { ResultRow } from "./results";

/**
 * The LRF's on-policy fresh-pair accuracy per system and component, pooled over a suite's Optimas
 * runs: each run's result.json records, per component, the accuracy of its head on every
 * iteration's fresh pairs (measured before the head adapted on them) and their count. Pooling
 * weighs runs by their pairs. This replaces the held-out initial accuracy as the alignment figure.
 */

export interface FreshAccuracyRow {
  system: string;
  component: string;
  runs: number;
  pairs: number;
  accuracy: number | null;
}

type PerComponent = Record<string, { accuracy: number | null; pairs: number }>;

/** Pairs ranked right (accuracy × pairs) and pairs, summed over `rows` within each group of `keys`. */
function pooled(rows: readonly { accuracy: number | null; pairs: number }[], keys: string[]): object[] {
  return aq
    .from(rows)
    .derive({ credit: aq.escape((r: { accuracy: number | null; pairs: number }) => (r.accuracy ?? 0) * r.pairs) })
    .groupby(keys)
    .rollup({ runs: aq.op.count(), pairs: aq.op.sum("pairs"), credit: aq.op.sum("credit") })
    .objects();
}

const accuracyOf = (p: { pairs: number; credit: number }) => (p.pairs > 0 ? p.credit / p.pairs : null);

export function freshAccuracyRows(outDir: string, rows: readonly ResultRow[], method = "optimas"): FreshAccuracyRow[] {
  const perRun = rows.flatMap((row) => {
    const file = path.join(outDir, row.run_dir, "result.json");
    if (row.method !== method || row.run_dir === "" || !fs.existsSync(file)) return [];
    const perComponent = readJson<{ lrf_fresh_pair_accuracy?: PerComponent }>(file, "run result").lrf_fresh_pair_accuracy ?? {};
    return Object.entries(perComponent).map(([component, { accuracy, pairs }]) => ({ system: row.system, component, accuracy, pairs }));
  });
  if (perRun.length === 0) return [];
  return (pooled(perRun, ["system", "component"]) as { system: string; component: string; runs: number; pairs: number; credit: number }[]).map(({ credit, ...r }) => ({ ...r, accuracy: accuracyOf({ pairs: r.pairs, credit }) }));
}

/** Each system's accuracy over the fresh pairs of all its components (weighted by pairs, so a head measured on 4 pairs weighs little). */
export function systemAccuracy(rows: readonly FreshAccuracyRow[]): Record<string, { accuracy: number | null; pairs: number }> {
  if (rows.length === 0) return {};
  const bySystem = pooled(rows, ["system"]) as { system: string; pairs: number; credit: number }[];
  return Object.fromEntries(bySystem.map((p) => [p.system, { accuracy: accuracyOf(p), pairs: p.pairs }]));
}
