import * as path from "node:path";
import { RunDir } from "../core/run-dir";
import { getSystem } from "../systems/registry";
import type { SystemSettings } from "../systems/settings";
import { JUDGE_ACCURACY_FILE } from "./judge-accuracy";
import { getMethod } from "./methods";
import type { CapScore, OptimizeJobSpec, OptimizeSummary } from "./optimize-job";
import { pickLMSettings } from "./lm-settings";
import { JUDGE_ABLATION_ID } from "./method-ids";
import type { ResolvedSuite } from "./suite-config";

/** One (system, method, seed, world) cell of a suite and where its run directory lives. */
export interface RunCell {
  system: string;
  method: string;
  seed: number;
  world: number;
  /** The system's resolved settings (the suite's). */
  settings: SystemSettings;
  /** null when the method applies to the system; otherwise why not (an "n/a" row, never run). */
  notApplicable: string | null;
  dir: string;
  /** The suite's system-run caps: a result is complete once it scored the incumbent at each. */
  runCaps?: readonly number[];
}

export function cellLabel(cell: Pick<RunCell, "system" | "method" | "seed" | "world">): string {
  return `${cell.system} / ${cell.method} s${cell.seed} w${cell.world}`;
}

/** Cells in table order: systems, then methods, then seeds, then worlds. */
export function planSuite(suite: ResolvedSuite, outDir: string): RunCell[] {
  const cells: RunCell[] = [];
  for (const system of suite.systems) {
    // Building a system is cheap (no data is loaded); it tells which methods apply.
    const settings = suite.settings[system]!;
    const built = getSystem(system).build(settings);
    for (const method of suite.methods) {
      const notApplicable = getMethod(method).notApplicable(built);
      for (const seed of suite.seeds) {
        for (const world of suite.worlds) {
          cells.push({ system, method, seed, world, settings, notApplicable, dir: path.resolve(outDir, "runs", system, `${method}-s${seed}-w${world}`), ...(suite.runCaps && { runCaps: suite.runCaps }) });
        }
      }
    }
  }
  return cells;
}

export function jobSpec(suite: ResolvedSuite, cell: RunCell): OptimizeJobSpec {
  return {
    system: cell.system,
    method: cell.method,
    preset: suite.preset,
    world: cell.world,
    seed: cell.seed,
    backend: suite.backend,
    settings: cell.settings,
    ...(suite.model !== undefined ? { model: suite.model } : {}),
    // The cell's method options travel with its spec to the worker (config.json records them resolved).
    ...(suite.methodOptions?.[cell.method] !== undefined ? { options: suite.methodOptions[cell.method] } : {}),
    metaModel: suite.metaModel,
    judgeModel: suite.judgeModel,
    ...(suite.caps !== undefined ? { caps: suite.caps } : {}),
    ...(suite.runCaps !== undefined ? { runCaps: suite.runCaps } : {}),
    lm: pickLMSettings(suite),
  };
}

/** Whether the judge's pair accuracy belongs to this cell's run (see judge-accuracy.ts). */
export function needsJudgeAccuracy(cell: Pick<RunCell, "method">): boolean {
  return cell.method === JUDGE_ABLATION_ID;
}

/** A run is done when its result.json exists (and, for the judge ablation, the judge's accuracy). */
export function isComplete(cell: RunCell): boolean {
  const dir = new RunDir(cell.dir);
  return hasResultAtCaps(cell) && (!needsJudgeAccuracy(cell) || dir.exists(JUDGE_ACCURACY_FILE));
}

/**
 * Whether the cell's result.json holds its result at every cap of the suite: a result from smaller
 * caps (or none) is resumed, so raising a suite's caps continues its runs to the new largest cap.
 */
export function hasResultAtCaps(cell: Pick<RunCell, "dir" | "runCaps">): boolean {
  const dir = new RunDir(cell.dir);
  if (!dir.exists("result.json")) return false;
  if (!cell.runCaps) return true;
  const scored = new Set((dir.read<OptimizeSummary>("result.json", "run result").test_at_caps as CapScore[] | undefined)?.map((c) => c.cap));
  return cell.runCaps.every((cap) => scored.has(cap));
}
