import type { Method } from "../core/method";
import { hbcMethod } from "./hbc";
import { llmSelectorMethod } from "./llmselector";
import { miproMethods } from "./mipro";
import { oproMethod } from "./opro";
import { reinforceMethod } from "./reinforce";
import { textGradMethod } from "./textgrad";
import { unoptimizedMethod } from "./unoptimized";

/** The paper's baselines (and MIPRO with demos, OPRO with the global metric), in table order. */
export const BASELINE_METHODS: readonly Method[] = [unoptimizedMethod, reinforceMethod, llmSelectorMethod, hbcMethod, textGradMethod, ...miproMethods, oproMethod];
