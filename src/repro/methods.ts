import type { Method } from "../core/method";
import { BASELINE_METHODS } from "../baselines/methods";
import { OPTIMAS_METHODS } from "../optimas/method";
import { UsageError } from "../core/failure";

/** Every method id the CLI and the suites accept, in table order. */
export const METHODS: readonly Method[] = [...BASELINE_METHODS, ...OPTIMAS_METHODS];

export function getMethod(id: string): Method {
  const m = METHODS.find((x) => x.id === id);
  if (!m) throw new UsageError(`unknown method "${id}" (available: ${METHODS.map((x) => x.id).join(", ")})`);
  return m;
}
