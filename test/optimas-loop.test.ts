import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createRuntime } from "../src/repro/runtime";
import { runOptimas, type Checkpoint, type OptimasEvent } from "../src/optimas/optimize";
import { resolveConfig, type OptimasKnobs } from "../src/optimas/config";
import { HashedNgramFeaturizer } from "../src/reward/hashed-featurizer";
import type { Featurizer } from "../src/reward/types";
import { RunDir } from "../src/core/run-dir";
import { decodeFloat32Base64 } from "../src/core/float32-base64";
import type { SavedLocalRewardModel, SavedLocalRewardModelV1 } from "../src/reward/lrf";
import { SIMLM_META_MODELS } from "../src/repro/meta-model";

const root = path.resolve(__dirname, "..");
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "optimas-"));
const small = { iterations: 4, initialTrainSize: 8, perIterationNewData: 4, valSize: 10, lrfEpochs: 5, promptCandidates: 2, localTrainSize: 6 };

/** The checkpoint without wall times: what must be identical between equivalent runs. */
function comparable(cp: Checkpoint): unknown {
  return { ...cp, history: cp.history.map(({ ms: _ms, ...rest }) => rest) };
}

async function run(dir: string, overrides: Partial<OptimasKnobs> = {}, caps = {}, onEvent?: (event: OptimasEvent) => void, featurizer?: Featurizer) {
  const rt = createRuntime({ system: "toy", world: 1, seed: 5, budget: caps });
  const out = await runOptimas({ system: rt.system, train: rt.data.train, val: rt.data.val, ctx: rt.ctx, config: resolveConfig("quick", SIMLM_META_MODELS, { ...small, ...overrides }), runDir: new RunDir(dir), onEvent, featurizer });
  out.lrf.dispose();
  return { rt, cp: out.checkpoint };
}

test("the gate keeps a change only when validation improves, and restores the system otherwise", async () => {
  const { cp } = await run(tmp());
  assert.equal(cp.status, "finished");
  assert.equal(cp.history.length, 4);
  for (const h of cp.history) {
    if (h.accepted) assert.ok(h.valAfter > h.valBefore, `accepted without improvement at iteration ${h.iteration}`);
  }
  // The incumbent's score is its pooled validation passes (core/gate.ts): the last comparison's.
  const last = cp.history.at(-1)!;
  assert.equal(cp.best.score, last.accepted ? last.valAfter : last.valBefore);
  assert.ok(cp.initialLrf.pairs > 0);
});

test("without the gate every proposal is kept (ablation)", async () => {
  const { cp } = await run(tmp(), { validationGate: false });
  const proposed = cp.history.filter((h) => h.valAfter !== h.valBefore || h.accepted);
  assert.ok(proposed.every((h) => h.accepted));
});

test("two runs with the same seeds reach identical checkpoints", async () => {
  const a = await run(tmp());
  const b = await run(tmp());
  assert.deepEqual(comparable(b.cp), comparable(a.cp));
  assert.deepEqual(b.rt.system.stateDict(), a.rt.system.stateDict());
});

test("a budget cap stops the run cleanly with a consistent checkpoint", async () => {
  const uncapped = (await run(tmp())).rt.ctx.budget.spent.systemRuns;
  // Above the initialization's spend (the first iteration's), below the whole run's.
  const cap = Math.floor(0.9 * uncapped);
  const dir = tmp();
  const { cp, rt } = await run(dir, {}, { systemRuns: cap });
  assert.equal(cp.status, "budget");
  assert.ok(rt.ctx.budget.spent.systemRuns <= cap);
  assert.deepEqual(rt.system.stateDict(), cp.stateDict);
  // The checkpoint on disk stays as the last finished iteration committed it (like a kill), so a
  // resume after the cap is raised redoes the dropped iteration and ends as an uncapped run.
  const saved = new RunDir(dir).read<Checkpoint>("checkpoint.json", "checkpoint");
  assert.equal(saved.status, "running");
  assert.deepEqual(saved.history, cp.history);
  assert.deepEqual(saved.stateDict, cp.stateDict);
});

test("a STOP file ends the run after the current iteration", async () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, "STOP"), "");
  const { cp } = await run(dir);
  assert.equal(cp.status, "stopped");
  assert.equal(cp.history.length, 0);
});

test("a run stopped by a STOP file continues when the stop is withdrawn, to the state of an uninterrupted run", async () => {
  const whole = await run(tmp());
  const dir = tmp();
  const stopAfterTwo = (e: OptimasEvent) => {
    if (e.kind === "iteration" && e.record.iteration === 2) fs.writeFileSync(path.join(dir, "STOP"), "");
  };
  const stopped = await run(dir, {}, {}, stopAfterTwo);
  assert.equal(stopped.cp.status, "stopped");
  assert.equal(stopped.cp.history.length, 2);
  assert.equal(new RunDir(dir).clearStop(), true);
  assert.equal(new RunDir(dir).clearStop(), false);
  const resumed = await run(dir);
  assert.equal(resumed.cp.status, "finished");
  assert.deepEqual(comparable(resumed.cp), comparable(whole.cp));
});

test("a run directory whose lrf.json has the old number-array form (version 1) resumes to the state of an uninterrupted run", async () => {
  const whole = tmp();
  const a = await run(whole);
  const dir = tmp();
  // Dies right after iteration 2 was checkpointed, as a killed process would.
  const dieAfterTwo = (e: OptimasEvent) => {
    if (e.kind === "iteration" && e.record.iteration === 2) throw new Error("killed");
  };
  await assert.rejects(run(dir, {}, {}, dieAfterTwo), /killed/);
  const lrfFile = path.join(dir, "lrf.json");
  const saved = JSON.parse(fs.readFileSync(lrfFile, "utf8")) as SavedLocalRewardModel;
  const weights = Object.fromEntries(
    Object.entries(saved.weights).map(([name, w]) => [name, { shape: w.shape, values: Array.from(decodeFloat32Base64(w.base64, w.shape.reduce((x, y) => x * y, 1))) }]),
  );
  const old: SavedLocalRewardModelV1 = { ...saved, version: 1, weights };
  fs.writeFileSync(lrfFile, JSON.stringify(old, null, 1));
  // Checkpoints of that era recorded no hash of their lrf.json.
  const cpFile = path.join(dir, "checkpoint.json");
  const { lrfSha256: _hash, ...oldCheckpoint } = JSON.parse(fs.readFileSync(cpFile, "utf8")) as Checkpoint;
  fs.writeFileSync(cpFile, JSON.stringify(oldCheckpoint));

  const b = await run(dir);
  assert.deepEqual(comparable(b.cp), comparable(a.cp));
  assert.deepEqual(JSON.parse(fs.readFileSync(lrfFile, "utf8")), JSON.parse(fs.readFileSync(path.join(whole, "lrf.json"), "utf8")));
});

test("resume after killing a real process mid-run ends in the state of an uninterrupted run", { timeout: 300_000 }, async () => {
  const bin = path.join(root, "bin", "optimas.js");
  const args = ["optimize", "--system", "toy", "--method", "optimas", "--preset", "paper", "--world", "2", "--seed", "1"];
  const whole = tmp();
  const full = spawnSync(process.execPath, [bin, ...args, "--out", whole], { cwd: root, encoding: "utf8" });
  assert.equal(full.status, 0, full.stderr);

  const killed = tmp();
  const child = spawn(process.execPath, [bin, ...args, "--out", killed], { cwd: root, stdio: "ignore" });
  const checkpoint = path.join(killed, "checkpoint.json");
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      try {
        const cp = JSON.parse(fs.readFileSync(checkpoint, "utf8")) as Checkpoint;
        if (cp.nextIteration >= 3) {
          clearInterval(timer);
          child.kill("SIGKILL");
          resolve();
        }
      } catch {
        // not written yet, or mid-rename
      }
    }, 10);
    child.on("exit", () => {
      clearInterval(timer);
      reject(new Error("the run finished before it could be killed"));
    });
  });
  await new Promise((r) => child.once("exit", r));
  const interrupted = JSON.parse(fs.readFileSync(checkpoint, "utf8")) as Checkpoint;
  assert.ok(interrupted.nextIteration < 20 && !fs.existsSync(path.join(killed, "result.json")));

  const resumed = spawnSync(process.execPath, [bin, "resume", killed, "--json"], { cwd: root, encoding: "utf8" });
  assert.equal(resumed.status, 0, resumed.stderr);
  const read = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, "checkpoint.json"), "utf8")) as Checkpoint;
  assert.deepEqual(comparable(read(killed)), comparable(read(whole)));
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(killed, "lrf.json"), "utf8")), JSON.parse(fs.readFileSync(path.join(whole, "lrf.json"), "utf8")));
  const summary = (dir: string) => {
    const { run_dir: _r, wall_s: _w, ...rest } = JSON.parse(fs.readFileSync(path.join(dir, "result.json"), "utf8")) as Record<string, unknown>;
    return rest;
  };
  assert.deepEqual(summary(killed), summary(whole));
});

test("local candidates are scored on a pool of 60 inputs, 2 samples each, 10 prompt proposals, in both presets", () => {
  for (const preset of ["quick", "paper"] as const) {
    const c = resolveConfig(preset, SIMLM_META_MODELS);
    assert.ok(c.localTrainSize >= 60 && c.localSamples >= 2 && c.promptCandidates >= 10, `${preset}: pool ${c.localTrainSize}, samples ${c.localSamples}, proposals ${c.promptCandidates}`);
  }
});

test("the scoring pool is built once from upstream-only runs and reused until something upstream changes", async () => {
  const { cp, rt } = await run(tmp(), { iterations: 8, localTrainSize: 60, requireAlignedLrf: false, promptCandidates: 3 });
  const upstreamChangedBetween = (name: string, from: number, to: number) => {
    const index = rt.system.indexOf(name);
    return cp.history.some((h) => h.iteration > from && h.iteration < to && h.accepted && rt.system.indexOf(h.component) < index);
  };
  let reuses = 0;
  for (const name of Object.keys(cp.inputPools!)) {
    const turns = cp.history.filter((h) => h.component === name);
    assert.ok(turns[0]!.poolBuilt, `${name}: built on its first turn`);
    for (let i = 1; i < turns.length; i++) {
      assert.equal(turns[i]!.poolBuilt, upstreamChangedBetween(name, turns[i - 1]!.iteration, turns[i]!.iteration), `${name} at iteration ${turns[i]!.iteration}`);
      if (!turns[i]!.poolBuilt) reuses++;
    }
    assert.equal(cp.inputPools![name]!.rows.length, 60);
    assert.equal(new Set(cp.inputPools![name]!.rows.map((r) => r.exampleId)).size, 60);
  }
  assert.ok(reuses > 0, "some component was optimized twice on one pool");
  // 2 samples × 60 inputs per candidate: every prompt turn scored its candidates (the current one and proposals).
  assert.ok(cp.history.filter((h) => h.component === "extractor").every((h) => h.candidates.length >= 2));
});

test("a component whose LRF head is not known to beat chance is not optimized against it, only measured", async () => {
  // A bound no tally can pass: every head counts as at chance.
  const { cp } = await run(tmp(), { alignmentZ: 1e6 });
  assert.ok(cp.history.length === 4 && cp.history.every((h) => h.skipped === "lrf-at-chance" && h.candidates.length === 0 && !h.accepted && !h.poolBuilt));
  assert.ok(cp.history.every((h) => h.freshPairs === 0 || h.lrfAlignment.pairs > 0), "fresh pairs were still measured");
  assert.ok(Object.keys(cp.inputPools!).length === 0);
  // The final component scored by the exact metric needs no head: it is optimized whenever selected.
  const exact = await run(tmp(), { alignmentZ: 1e6, finalComponentScoring: "global-metric", iterations: 6 });
  const finalTurns = exact.cp.history.filter((h) => h.component === "answerer");
  assert.ok(finalTurns.length > 0 && finalTurns.every((h) => h.skipped === undefined && h.candidates.length > 0));
  assert.ok(exact.cp.history.filter((h) => h.component !== "answerer").every((h) => h.skipped === "lrf-at-chance"));
  // Off, the same heads are optimized.
  const gated = await run(tmp(), { alignmentZ: 1e6, requireAlignedLrf: false });
  assert.ok(gated.cp.history.every((h) => h.skipped === undefined) && gated.cp.history.some((h) => h.candidates.length > 0));
});

test("new runs use the structured featurizer; a run started with the hashed one resumes with it", async () => {
  const fresh = tmp();
  await run(fresh, { iterations: 1 });
  const kind = (dir: string) => (JSON.parse(fs.readFileSync(path.join(dir, "lrf.json"), "utf8")) as SavedLocalRewardModel).featurizer.kind;
  assert.equal(kind(fresh), "structured-ngrams");

  const whole = tmp();
  const a = await run(whole, {}, {}, undefined, new HashedNgramFeaturizer());
  const dir = tmp();
  const dieAfterTwo = (e: OptimasEvent) => {
    if (e.kind === "iteration" && e.record.iteration === 2) throw new Error("killed");
  };
  await assert.rejects(run(dir, {}, {}, dieAfterTwo, new HashedNgramFeaturizer()), /killed/);
  const b = await run(dir); // resumed without naming a featurizer, as `optimas resume` does
  assert.equal(kind(dir), "hashed-ngrams");
  assert.deepEqual(comparable(b.cp), comparable(a.cp));
});
