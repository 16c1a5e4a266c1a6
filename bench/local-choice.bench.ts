/**
 * Optimas variants side by side on SimLM worlds 0–2, scored on the test split:
 * `npm run -s bench:local-choice -- --systems amazon,bigcodebench --worlds 0,1,2 --variants default,margin-none,margin-raw`.
 *
 * Each (system, world, variant) runs the Optimas loop in process at `--preset` (quick by default)
 * with the variant's overrides of src/optimas/config.ts until the shared system-run cap `--run-cap`
 * (500, the quick suite's; 0: the preset's iteration count), then measures the test score the way
 * every command does (core/test-score.ts), on a context of its own. Printed per cell: test before → after, system runs; per
 * variant: the mean test score and the mean paired difference to the first variant with its
 * standard error over cells. This is how the margin mode and the final component's scoring were
 * chosen (ARCHITECTURE.md, "Choices made by measurement").
 *
 * `--rescore N` also asks whether the local reward's first choice is the truly best candidate:
 * for up to N prompt iterations per cell, every candidate instruction is re-scored on the system
 * state the iteration started from, by `--rescore-passes` test passes over the first
 * `--rescore-examples` test examples, and the LRF's top candidate is compared with the best one.
 * Only worlds 0–2 are allowed: the others are kept for untuned checks. The last line is one JSON
 * object with every number.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { createRuntime, separateContext } from "../src/repro/runtime";
import { SIMLM_META_MODELS } from "../src/repro/meta-model";
import { resolveConfig, type OptimasKnobs } from "../src/optimas/config";
import { runOptimas, type IterationRecord } from "../src/optimas/optimize";
import { argmax } from "../src/optimas/local-reward";
import { measureTestScore } from "../src/core/test-score";
import { RunDir } from "../src/core/run-dir";
import { mean, std } from "../src/core/stats";
import type { StateDict } from "../src/core/system";
import type { Preset } from "../src/core/method";

const TUNING_WORLDS = [0, 1, 2];

/** Named override sets; "before-11" is the local breadth and selection before issue 11. */
const VARIANTS: Record<string, Partial<OptimasKnobs>> = {
  default: {},
  "margin-none": { marginMode: "none" },
  "margin-raw": { marginMode: "raw" },
  "margin-minmax": { marginMode: "minmax" },
  "final-lrf": { finalComponentScoring: "lrf" },
  "final-metric": { finalComponentScoring: "global-metric" },
  "before-11": { promptCandidates: 4, localTrainSize: 20, localSamples: 1, selection: "fresh-gap", requireAlignedLrf: false },
};

const { values } = parseArgs({
  options: {
    systems: { type: "string", default: "amazon,stark,bigcodebench" },
    worlds: { type: "string", default: "0,1,2" },
    seed: { type: "string", default: "0" },
    preset: { type: "string", default: "quick" },
    variants: { type: "string", default: "default,margin-none,margin-raw" },
    rescore: { type: "string", default: "0" },
    "run-cap": { type: "string", default: "500" },
    "rescore-passes": { type: "string", default: "3" },
    "rescore-examples": { type: "string", default: "60" },
  },
});
const systems = values.systems!.split(",");
const worlds = values.worlds!.split(",").map(Number);
const variants = values.variants!.split(",");
const seed = Number(values.seed);
const preset = values.preset as Preset;
const rescore = Number(values.rescore);
const runCap = Number(values["run-cap"]) > 0 ? Number(values["run-cap"]) : undefined;
for (const w of worlds) if (!TUNING_WORLDS.includes(w)) throw new Error(`--worlds: world ${w} is kept for untuned checks; use ${TUNING_WORLDS.join(", ")}`);
for (const v of variants) if (!(v in VARIANTS)) throw new Error(`--variants: unknown variant "${v}" (known: ${Object.keys(VARIANTS).join(", ")})`);

interface Cell {
  system: string;
  world: number;
  variant: string;
  testBefore: number;
  testAfter: number;
  se: number;
  systemRuns: number;
  accepted: number;
  skipped: number;
  /** Prompt iterations re-scored, and those where the LRF's first choice was the truly best. */
  rescored: number;
  topIsBest: number;
}

async function runCell(system: string, world: number, variant: string): Promise<Cell> {
  const rt = createRuntime({ system, world, seed, budget: runCap === undefined ? {} : { systemRuns: runCap } });
  const testCtx = () => separateContext(rt).ctx.withStage("test");
  const config = resolveConfig(preset, SIMLM_META_MODELS, VARIANTS[variant]!);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "local-choice-"));
  const before = await measureTestScore(rt.system, rt.data.test, testCtx(), { concurrency: config.concurrency });
  // The state each iteration starts from: the incumbent after the one before.
  const startStates: StateDict[] = [rt.system.stateDict()];
  const records: IterationRecord[] = [];
  const outcome = await runOptimas({
    system: rt.system,
    train: rt.data.train,
    val: rt.data.val,
    ctx: rt.ctx,
    config,
    runDir: new RunDir(dir),
    runCap,
    onEvent: (e) => {
      if (e.kind !== "iteration") return;
      records.push(e.record);
      startStates.push(rt.system.stateDict());
    },
  });
  const spent = rt.ctx.budget.spent.systemRuns;
  const after = await measureTestScore(rt.system, rt.data.test, testCtx().withSelectors(outcome.evalCtx.selectors), { concurrency: config.concurrency });
  const finalState = rt.system.stateDict();
  let rescored = 0;
  let topIsBest = 0;
  for (const [i, r] of records.entries()) {
    const variable = rt.system.component(r.component).variable;
    if (rescored >= rescore || variable?.kind !== "prompt" || r.candidates.length < 2) continue;
    rt.system.loadStateDict(startStates[i]!);
    const start = rt.system.component(r.component).variable!;
    const truth: number[] = [];
    for (const c of r.candidates) {
      const instruction = c.label.startsWith("current: ") ? c.label.slice("current: ".length) : c.label;
      rt.system.component(r.component).update({ ...(start as typeof variable), instruction });
      truth.push((await measureTestScore(rt.system, rt.data.test.slice(0, Number(values["rescore-examples"])), testCtx(), { passes: Number(values["rescore-passes"]), concurrency: config.concurrency })).mean);
    }
    rt.system.loadStateDict(startStates[i]!);
    rescored++;
    const top = argmax(r.candidates.map((c) => c.score));
    if (truth[top]! >= Math.max(...truth)) topIsBest++;
  }
  rt.system.loadStateDict(finalState);
  outcome.lrf.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
  const cp = outcome.checkpoint;
  return {
    system,
    world,
    variant,
    testBefore: before.mean,
    testAfter: after.mean,
    se: after.se,
    systemRuns: spent,
    accepted: cp.history.filter((h) => h.accepted).length,
    skipped: cp.history.filter((h) => h.skipped).length,
    rescored,
    topIsBest,
  };
}

async function main(): Promise<void> {
  const cells: Cell[] = [];
  for (const system of systems) {
    for (const world of worlds) {
      for (const variant of variants) {
        const c = await runCell(system, world, variant);
        cells.push(c);
        const choice = c.rescored > 0 ? `, LRF top = truly best in ${c.topIsBest}/${c.rescored}` : "";
        console.log(`${system} w${world} ${variant}: test ${c.testBefore.toFixed(4)} → ${c.testAfter.toFixed(4)} (se ${c.se.toFixed(4)}), ${c.systemRuns.toFixed(1)} system runs, ${c.accepted} accepted, ${c.skipped} skipped${choice}`);
      }
    }
  }
  const summary: Record<string, unknown> = {};
  for (const variant of variants) {
    const mine = cells.filter((c) => c.variant === variant);
    const diffs = mine.map((c) => c.testAfter - cells.find((b) => b.variant === variants[0] && b.system === c.system && b.world === c.world)!.testAfter);
    const bySystem = Object.fromEntries(systems.map((s) => [s, mean(mine.filter((c) => c.system === s).map((c) => c.testAfter))]));
    summary[variant] = { meanTest: mean(mine.map((c) => c.testAfter)), bySystem, diffVsFirst: mean(diffs), diffSe: diffs.length > 1 ? std(diffs) / Math.sqrt(diffs.length) : null };
    const rescored = mine.reduce((a, c) => a + c.rescored, 0);
    const hits = mine.reduce((a, c) => a + c.topIsBest, 0);
    console.log(
      `${variant}: mean test ${mean(mine.map((c) => c.testAfter)).toFixed(4)} (${systems.map((s) => `${s} ${bySystem[s]!.toFixed(4)}`).join(", ")}); vs ${variants[0]} ${mean(diffs) >= 0 ? "+" : ""}${mean(diffs).toFixed(4)}${diffs.length > 1 ? ` ± ${(std(diffs) / Math.sqrt(diffs.length)).toFixed(4)} se` : ""}${rescored > 0 ? `; LRF top = truly best ${hits}/${rescored}` : ""}`,
    );
  }
  console.log(JSON.stringify({ preset, seed, systems, worlds, cells, summary }));
}

void main().catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
