import type { Json } from "../core/json";
import type { Example } from "../core/system";

export const SPLIT_NAMES = ["train", "val", "test"] as const;
export type SplitName = (typeof SPLIT_NAMES)[number];

/** A dataset's three splits, each in its fixed order. */
export type DatasetSplits = Record<SplitName, Example[]>;

/** The id every loader gives an example: `<dataset>/<split>/<key>`, which routes it to its oracle. */
export function exampleId(dataset: string, split: SplitName, key: string | number): string {
  return `${dataset}/${split}/${key}`;
}

export function allExamples(splits: DatasetSplits): Example[] {
  return SPLIT_NAMES.flatMap((s) => splits[s]);
}

/** What SimLM's oracle store accepts: the hidden truth of one example id, or undefined for an unknown id. */
export type OracleResolver = (id: string) => Json | undefined;

/**
 * An oracle resolver over a dataset that is loaded on first use (registering a resolver costs
 * nothing; `oracle` maps an example to the truth SimLM reads for it).
 */
export function lazyOracleResolver(load: () => DatasetSplits, oracle: (example: Example) => Json): OracleResolver {
  let byId: Map<string, Example> | undefined;
  return (id) => {
    byId ??= new Map(allExamples(load()).map((ex) => [ex.id, ex]));
    const example = byId.get(id);
    return example ? oracle(example) : undefined;
  };
}

/** Python's `int(fraction * n)` for the reference loaders' proportional cut points. */
export function cutPoint(fraction: number, n: number): number {
  return Math.floor(fraction * n);
}
