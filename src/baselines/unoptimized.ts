import type { Method } from "../core/method";
import { checkOptions } from "../core/method-options";
import { runBaseline } from "./session";

/**
 * Unoptimized (the paper's first row): the system exactly as its authors wrote it. It only scores
 * the validation subset, so its record has the same shape as every other method's.
 */
export const unoptimizedMethod: Method = {
  id: "unoptimized",
  title: "Unoptimized",
  role: "baseline",
  source: "the paper's unoptimized system: no change, evaluated as is",
  notApplicable: () => null,
  // No settings: any option given is an unknown key.
  resolveOptions: (_preset, options) => checkOptions("unoptimized", {}, options),
  run: (args) => runBaseline("unoptimized", args, async () => undefined),
};
