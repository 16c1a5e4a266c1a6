import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { getMethod, METHODS } from "../src/repro/methods";
import { HBC_SETTINGS } from "../src/baselines/hbc";
import { OPRO_SETTINGS } from "../src/baselines/opro";
import { OPTIMAS_SCHEMA } from "../src/optimas/options";
import { resolveKnobs } from "../src/optimas/config";
import { methodOptionArg, optionArg } from "../src/cli/args";
import { parseSuiteConfig, resolveSuite } from "../src/repro/suite-config";
import { jobSpec, planSuite } from "../src/repro/plan";
import { runOptimizeJob, type OptimizeJobSpec } from "../src/repro/optimize-job";
import { resumeCommand } from "../src/cli/optimize";
import { RunDir } from "../src/core/run-dir";
import type { BaselineHistory } from "../src/baselines/session";
import type { Checkpoint } from "../src/optimas/optimize";

const tmp = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `method-options-${name}-`));

test("an unknown option is rejected in one line naming the method, the key and the known keys", () => {
  assert.throws(() => getMethod("hbc").resolveOptions("quick", { trainsize: 8 }), /^Error: method "hbc": option "trainsize" is not one of its options \(known: trainSize, samples, rollouts, sampleTemperature, maxDemos, epochs, learningRate\)$/);
  assert.throws(() => getMethod("optimas").resolveOptions("quick", { promptDemo: 0 }), /^Error: method "optimas": option "promptDemo" is not one of its options \(known: iterations, .*promptDemos, .*\)$/);
  assert.throws(() => getMethod("unoptimized").resolveOptions("quick", { steps: 1 }), /^Error: method "unoptimized": option "steps" is not one of its options \(it has none\)$/);
});

test("a wrongly typed option value is rejected with the values it accepts", () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["hbc", { trainSize: "many" }, /^Error: method "hbc": option "trainSize" must be an integer ≥ 1 \(got "many"\)$/],
    ["opro", { trainSize: 2.5 }, /^Error: method "opro": option "trainSize" must be an integer ≥ 1 \(got 2\.5\)$/],
    ["reinforce", { learningRate: -1 }, /^Error: method "reinforce": option "learningRate" must be a number ≥ 0 \(got -1\)$/],
    ["optimas", { promptDemos: "4" }, /^Error: method "optimas": option "promptDemos" must be an integer ≥ 0 \(got "4"\)$/],
    ["optimas", { selection: "best" }, /^Error: method "optimas": option "selection" must be one of "aligned-fresh-gap", "fresh-gap", "reference-offline-gap" \(got "best"\)$/],
    ["optimas", { adaptLrf: "no" }, /^Error: method "optimas": option "adaptLrf" must be true or false \(got "no"\)$/],
    ["optimas", { heldOutShare: 2 }, /^Error: method "optimas": option "heldOutShare" must be a number in \[0, 1\] \(got 2\)$/],
    ["optimas", { sampleTemperature: "hot" }, /^Error: method "optimas": option "sampleTemperature" must be a number ≥ 0 or null \(got "hot"\)$/],
  ];
  for (const [method, options, message] of cases) assert.throws(() => getMethod(method).resolveOptions("quick", options as never), message, `${method} ${JSON.stringify(options)}`);
  assert.equal((getMethod("optimas").resolveOptions("quick", { sampleTemperature: null }) as { sampleTemperature: number | null }).sampleTemperature, null);
});

test("an ablation's fixed knob takes only its fixed value; the resolved options hold every key", () => {
  assert.throws(() => getMethod("optimas-no-adapt").resolveOptions("quick", { adaptLrf: true }), /^Error: method "optimas-no-adapt": option "adaptLrf" is fixed to false by this ablation \(set it on method "optimas" instead\)$/);
  const noAdapt = getMethod("optimas-no-adapt").resolveOptions("paper", { adaptLrf: false, promptDemos: 0 });
  assert.deepEqual(noAdapt, resolveKnobs("paper", { adaptLrf: false, selection: "fresh-gap", requireAlignedLrf: false, promptDemos: 0 }));
  assert.deepEqual(Object.keys(noAdapt).sort(), Object.keys(OPTIMAS_SCHEMA).sort());
  assert.deepEqual(getMethod("hbc").resolveOptions("paper", {}), HBC_SETTINGS.presets.paper);
  assert.deepEqual(getMethod("hbc").resolveOptions("quick", { trainSize: 5 }), { ...HBC_SETTINGS.presets.quick, trainSize: 5 });
  // Every method resolves its own defaults: nothing a user can omit is left out.
  for (const m of METHODS) for (const preset of ["quick", "paper"] as const) assert.deepEqual(m.resolveOptions(preset, m.resolveOptions(preset, {}) as never), m.resolveOptions(preset, {}), m.id);
});

test("--option values are JSON where they parse, else text; reproduce's name the method", () => {
  const parse = optionArg("--option");
  const given = ["promptDemos=0", "selection=fresh-gap", "sampleTemperature=null", 'label="3"', "adaptLrf=false", "note=a=b"].reduce<Record<string, unknown> | undefined>((prev, v) => parse(v, prev as never), undefined);
  assert.deepEqual(given, { promptDemos: 0, selection: "fresh-gap", sampleTemperature: null, label: "3", adaptLrf: false, note: "a=b" });
  assert.throws(() => parse("promptDemos=1", { promptDemos: 0 }), /--option sets "promptDemos" twice/);
  assert.throws(() => parse("promptDemos", undefined), /--option takes <key>=<value> \(got "promptDemos"\)/);
  const byMethod = methodOptionArg("--option");
  assert.deepEqual(byMethod("hbc.trainSize=8", byMethod("optimas.promptDemos=0", undefined)), { optimas: { promptDemos: 0 }, hbc: { trainSize: 8 } });
  assert.throws(() => byMethod("trainSize=8", undefined), /--option takes <method>\.<key>=<value> \(got "trainSize=8"\)/);
  assert.throws(() => byMethod("hbc.trainSize=9", { hbc: { trainSize: 8 } }), /--option sets "hbc\.trainSize" twice/);
});

test("a suite's methodOptions are checked field by field, merged with --option, and travel with each cell's spec", () => {
  const good = { name: "mini", systems: ["toy"], methods: ["opro", "optimas"], seeds: [0], worlds: [0], preset: "quick" };
  const bad: [unknown, RegExp][] = [
    [[1], /^Error: s\.json: field "methodOptions" must be an object \{ "<method id>": \{ "<option>": <value> \} \}$/],
    [{ oprah: {} }, /^Error: s\.json: field "methodOptions\.oprah" is not a method \(available: .*opro.*\)$/],
    [{ opro: 3 }, /^Error: s\.json: field "methodOptions\.opro" must be an object \{ "<option>": <value> \}$/],
    [{ opro: { trainsize: 4 } }, /^Error: s\.json: field "methodOptions\.opro\.trainsize" is not one of its options \(known: steps, .*\)$/],
    [{ opro: { trainSize: 0 } }, /^Error: s\.json: field "methodOptions\.opro\.trainSize" must be an integer ≥ 1 \(got 0\)$/],
    [{ "optimas-judge": { localReward: "lrf" } }, /^Error: s\.json: field "methodOptions\.optimas-judge\.localReward" is fixed to "judge" by this ablation/],
  ];
  for (const [methodOptions, message] of bad) assert.throws(() => parseSuiteConfig({ ...good, methodOptions }, "s.json"), message);

  const config = parseSuiteConfig({ ...good, methodOptions: { opro: { trainSize: 4, steps: 2 } } }, "s.json");
  assert.throws(() => resolveSuite(config, { methodOptions: { opro: { steps: "two" } } }), /^Error: --option opro\.steps: must be an integer ≥ 1 \(got "two"\)$/);
  assert.throws(() => resolveSuite(config, { methodOptions: { oprah: { steps: 1 } } }), /--option: unknown method "oprah"/);
  const suite = resolveSuite(config, { methodOptions: { opro: { steps: 3 }, optimas: { promptDemos: 0 } } });
  const specs = new Map(planSuite(suite, tmp("plan")).map((cell) => [cell.method, jobSpec(suite, cell)]));
  assert.deepEqual(specs.get("opro")!.options, { trainSize: 4, steps: 3 });
  assert.deepEqual(specs.get("optimas")!.options, { promptDemos: 0 });
  assert.equal(jobSpec(resolveSuite(parseSuiteConfig(good, "s.json")), planSuite(suite, tmp("plan"))[0]!).options, undefined);
});

const OPRO_OPTIONS = { trainSize: 3, steps: 2, minStepsPerComponent: 1, proposalsPerStep: 1 };

test("a baseline's options reach its run, config.json records its full configuration, and resume uses it", async () => {
  const dir = tmp("opro");
  const spec: OptimizeJobSpec = { system: "toy", method: "opro", preset: "quick", world: 0, seed: 0, backend: "simlm", options: OPRO_OPTIONS };
  await runOptimizeJob(spec, dir);
  const runDir = new RunDir(dir);
  const resolved = { ...OPRO_SETTINGS.presets.quick, ...OPRO_OPTIONS };
  assert.deepEqual(runDir.read<{ spec: OptimizeJobSpec }>("config.json", "config").spec.options, resolved);
  const batches = () => runDir.read<BaselineHistory>("history.json", "history").steps.map((s) => (s.batch as string[]).length);
  // trainSize 3 (the preset's 16), and one step per prompt component (the preset's 8 shared).
  assert.ok(batches().length > 0 && batches().every((n) => n === 3), `batches ${batches().join(",")}`);
  const steps = batches().length;

  // The same --out without the options is another run; `optimas resume` runs with the recorded ones.
  await assert.rejects(runOptimizeJob({ ...spec, options: undefined }, dir), /holds another run \(toy\/opro with other opro options; `optimas resume` continues it with its own\); use a new --out/);
  fs.rmSync(runDir.file("history.json"));
  await resumeCommand(dir, { json: false });
  assert.equal(batches().length, steps);
  assert.ok(batches().every((n) => n === 3));
  assert.deepEqual(runDir.read<{ spec: OptimizeJobSpec }>("config.json", "config").spec.options, resolved);
});

test("Optimas's options reach the loop and config.json records every knob", async () => {
  const dir = tmp("optimas");
  const options = { iterations: 2, initialTrainSize: 8, perIterationNewData: 4, valSize: 10, lrfEpochs: 5, promptCandidates: 2, localTrainSize: 6, promptDemos: 0, requireAlignedLrf: false };
  const summary = await runOptimizeJob({ system: "toy", method: "optimas", preset: "quick", world: 1, seed: 5, backend: "simlm", options }, dir);
  const runDir = new RunDir(dir);
  const recorded = runDir.read<{ spec: OptimizeJobSpec }>("config.json", "config").spec.options!;
  assert.deepEqual(recorded, resolveKnobs("quick", options));
  assert.deepEqual(Object.keys(recorded).sort(), Object.keys(OPTIMAS_SCHEMA).sort());
  assert.equal(summary.iterations, 2);
  const cp = runDir.read<Checkpoint>("checkpoint.json", "checkpoint");
  const labels = cp.history.flatMap((h) => h.candidates.map((c) => c.label));
  // promptDemos 0: instruction candidates only, no demo sets (the default adds them on this run).
  assert.ok(labels.some((l) => l.startsWith("current: ")), `no prompt iteration: ${labels.join(" | ")}`);
  assert.ok(!labels.some((l) => l.startsWith("demo set")), labels.join(" | "));
});
