import * as path from "node:path";
import * as aq from "arquero";
import { readJson } from "../core/files";
import { formatFields } from "../core/per-example";
import type { CollectedPair } from "../optimas/collect";
import type { Checkpoint } from "../optimas/optimize";

/**
 * LRF preference pairs as an arquero table, one row per pair: which set it is in, the component,
 * the example, its inputs and the two outputs (as `name: value` lines, like per-example rows), the
 * global scores of both and their gap. An Optimas run directory keeps its pairs in
 * checkpoint.json: each component's replay buffer (what its head trains on) and the held-out pairs
 * (what its alignment is first measured on).
 */

export const PAIR_COLUMNS = ["set", "component", "example_id", "inputs", "chosen", "rejected", "score_chosen", "score_rejected", "gap"] as const;

export type PairSet = "buffer" | "held-out";

const fieldsText = (fields: CollectedPair["inputs"]) => formatFields(fields, Object.keys(fields));

export function pairsTable(pairs: readonly CollectedPair[], set: PairSet): aq.ColumnTable {
  const column = <T>(pick: (p: CollectedPair) => T) => pairs.map(pick);
  return aq.table(
    {
      set: column(() => set),
      component: column((p) => p.component),
      example_id: column((p) => p.exampleId),
      inputs: column((p) => fieldsText(p.inputs)),
      chosen: column((p) => fieldsText(p.chosen)),
      rejected: column((p) => fieldsText(p.rejected)),
      score_chosen: column((p) => p.scoreChosen),
      score_rejected: column((p) => p.scoreRejected),
      gap: column((p) => p.scoreChosen - p.scoreRejected),
    },
    [...PAIR_COLUMNS],
  );
}

/** Every pair an Optimas run directory holds: each component's replay buffer, then the held-out pairs. */
export function loadPairs(runDir: string): aq.ColumnTable {
  const file = path.join(runDir, "checkpoint.json");
  const cp = readJson<Partial<Checkpoint>>(file, "Optimas checkpoint");
  if (cp.format !== "optimas-checkpoint" || cp.buffers === undefined || cp.heldOut === undefined) {
    throw new Error(`${file}: not an Optimas checkpoint (only Optimas and its ablations keep LRF pairs)`);
  }
  const buffers = Object.values(cp.buffers).map((pairs) => pairsTable(pairs, "buffer"));
  return pairsTable([], "buffer").concat(...buffers, pairsTable(cp.heldOut, "held-out"));
}
