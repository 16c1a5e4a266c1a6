import { stableStringify } from "../../core/json";
import type { Demo } from "../../core/variable";
import type { LocalOptimizerArgs } from "./types";

/**
 * Demonstration sets for a prompt component, chosen by its local reward: the outputs that won a
 * preference pair in the component's replay buffer (labelled by the global metric, so a winner with
 * reward 0 is left out) are scored by the LRF head, and the best `promptDemos` of them form the
 * first set, the next best the second. The prompt optimizer scores each set on the pool like any
 * other candidate, so demos are kept only when the head says they help.
 */
export async function demoSets(args: LocalOptimizerArgs): Promise<Demo[][]> {
  const size = args.config.promptDemos;
  if (size <= 0) return [];
  const seen = new Set<string>();
  const pool: Demo[] = [];
  for (const pair of args.winners ?? []) {
    if (pair.scoreChosen <= 0) continue;
    const demo = { inputs: pair.inputs, outputs: pair.chosen };
    const key = stableStringify(demo);
    if (seen.has(key)) continue;
    seen.add(key);
    pool.push(demo);
  }
  if (pool.length === 0) return [];
  const scores = await args.reward.score(args.component, pool);
  // Highest local reward first; equal scores keep the buffer's order (most recent pairs last).
  const ranked = pool.map((demo, i) => ({ demo, score: scores[i]! })).sort((a, b) => b.score - a.score).map((r) => r.demo);
  const sets: Demo[][] = [];
  for (let start = 0; start < ranked.length && sets.length < 2; start += size) sets.push(ranked.slice(start, start + size));
  return sets;
}
