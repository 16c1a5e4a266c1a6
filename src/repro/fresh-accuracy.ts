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

export function freshAccuracyRows(outDir: string, rows: readonly ResultRow[], method = "optimas"): FreshAccuracyRow[] {
  const pooled = new Map<string, { system: string; component: string; runs: number; pairs: number; credit: number }>();
  for (const row of rows) {
    if (row.method !== method || row.run_dir === "") continue;
    const file = path.join(outDir, row.run_dir, "result.json");
    if (!fs.existsSync(file)) continue;
    const perComponent = readJson<{ lrf_fresh_pair_accuracy?: PerComponent }>(file, "run result").lrf_fresh_pair_accuracy ?? {};
    for (const [component, { accuracy, pairs }] of Object.entries(perComponent)) {
      const key = `${row.system}\u0000${component}`;
      const into = pooled.get(key) ?? { system: row.system, component, runs: 0, pairs: 0, credit: 0 };
      into.runs++;
      into.pairs += pairs;
      into.credit += (accuracy ?? 0) * pairs;
      pooled.set(key, into);
    }
  }
  return [...pooled.values()].map(({ credit, ...r }) => ({ ...r, accuracy: r.pairs > 0 ? credit / r.pairs : null }));
}

/** Each system's accuracy over the fresh pairs of all its components (weighted by pairs, so a head measured on 4 pairs weighs little). */
export function systemAccuracy(rows: readonly FreshAccuracyRow[]): Record<string, { accuracy: number | null; pairs: number }> {
  const pooled = aq
    .from(rows, ["system", "pairs", "accuracy"])
    .derive({ credit: aq.escape((r: FreshAccuracyRow) => (r.accuracy ?? 0) * r.pairs) })
    .groupby("system")
    .rollup({ pairs: aq.op.sum("pairs"), credit: aq.op.sum("credit") })
    .objects() as { system: string; pairs: number; credit: number }[];
  return Object.fromEntries(pooled.map((p) => [p.system, { accuracy: p.pairs > 0 ? p.credit / p.pairs : null, pairs: p.pairs }]));
}
