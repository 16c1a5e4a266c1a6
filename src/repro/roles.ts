import type { Method } from "../core/method";

/**
 * What a method is in the comparison (protocol: gain = Optimas over the best baseline, where the
 * baselines are every other method except Optimas's own ablations; unoptimized counts).
 */
export type MethodRole = "optimas" | "ablation" | "baseline";

export const OPTIMAS_ID = "optimas";

/**
 * The judge ablation: its run directories also get the LLM judge's accuracy on the LRF's held-out
 * pairs, for the "LRF against judge" comparison (paper Tab. 4).
 */
export const JUDGE_ABLATION_ID = "optimas-judge";

/** The unoptimized system; when no method has this id, the suite derives it from every run's `test_before`. */
export const UNOPTIMIZED_ID = "unoptimized";

// The registry carries no role field: Optimas variants are named `optimas-*` and their source
// line starts with "ablation:", everything else is a baseline.
export function methodRole(method: Pick<Method, "id" | "source">): MethodRole {
  if (method.id === OPTIMAS_ID) return "optimas";
  if (method.id.startsWith(`${OPTIMAS_ID}-`) || method.source.startsWith("ablation")) return "ablation";
  return "baseline";
}
