import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import Papa from "papaparse";
import { runOptimizeJob, type OptimizeJobSpec, type OptimizeSummary } from "../src/repro/optimize-job";
import { parseSuiteConfig, resolveSuite } from "../src/repro/suite-config";
import { runSuite } from "../src/repro/suite";
import { DSPY_WIKI17_COLBERT_URL } from "../src/systems/hotpotqa/bm25";
import { availableSystems, getSystem } from "../src/systems/registry";
import { formatSettings, resolveSettings } from "../src/systems/settings";

const scratch = mkdtempSync(path.join(tmpdir(), "optimas-settings-"));
const COLBERT_URL = "http://127.0.0.1:9/wiki";

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { encoding: "utf8" });
}

test("defaults per backend: PubMedQA's models follow the backend, every other setting is the same offline and online", () => {
  const offline = Object.fromEntries(availableSystems().map((id) => [id, resolveSettings(getSystem(id), "simlm")]));
  const online = Object.fromEntries(availableSystems().map((id) => [id, resolveSettings(getSystem(id), "openai")]));
  assert.deepEqual(offline, {
    toy: { models: "simlm", "initial-model": "sim-s" },
    amazon: {},
    pubmedqa: { models: "simlm", extraction: "first-substring" },
    hotpotqa: { retriever: "bm25", "colbert-url": DSPY_WIKI17_COLBERT_URL },
    bigcodebench: { subset: "stdlib" },
    stark: { source: "synthprime" },
  });
  assert.deepEqual(online, { ...offline, pubmedqa: { models: "paper", extraction: "first-substring" } });
  // Given values replace defaults one by one, in the declared order.
  assert.deepEqual(Object.entries(resolveSettings(getSystem("pubmedqa"), "openai", { extraction: "answer-line" })), [["models", "paper"], ["extraction", "answer-line"]]);
  assert.equal(formatSettings(resolveSettings(getSystem("pubmedqa"), "simlm", { models: "a,b" })), "models=a,b; extraction=first-substring");
});

test("an unknown setting or a bad value is one error line naming the system, the setting, the value and what is accepted", () => {
  const one = (fn: () => unknown): string => {
    try {
      fn();
    } catch (err) {
      const message = (err as Error).message;
      assert.equal(message.split("\n").length, 1, message);
      return message;
    }
    assert.fail("no error");
  };
  assert.equal(one(() => resolveSettings(getSystem("pubmedqa"), "simlm", { extractoin: "answer-line" })), 'system "pubmedqa": setting "extractoin" is unknown (known: models, extraction)');
  assert.equal(one(() => resolveSettings(getSystem("toy"), "simlm", { k: "3" })), 'system "toy": setting "k" is unknown (known: models, initial-model)');
  assert.equal(one(() => resolveSettings(getSystem("amazon"), "simlm", { k: "3" })), 'system "amazon": setting "k" is unknown (system "amazon" has no settings)');
  assert.equal(one(() => resolveSettings(getSystem("stark"), "openai", { source: "Stark-Prime" })), 'system "stark": setting "source" must be synthprime or stark-prime (got "Stark-Prime")');
  assert.equal(one(() => resolveSettings(getSystem("hotpotqa"), "simlm", { "colbert-url": "ftp://host/wiki" })), 'system "hotpotqa": setting "colbert-url" must be an http(s) URL (got "ftp://host/wiki")');
});

test("the toy answerer's candidates and starting model are settings, so it runs under an endpoint's model names", () => {
  const toy = getSystem("toy");
  const answerer = (settings: Record<string, string>) => toy.build(resolveSettings(toy, "openai", settings)).components.find((c) => c.name === "answerer")!.variable;
  assert.deepEqual(answerer({}), { kind: "model", value: "sim-s", choices: ["sim-xs", "sim-s", "sim-m", "sim-l", "sim-xl", "sim-coder", "sim-med"] });
  assert.deepEqual(answerer({ models: "gpt-4o-mini, gpt-4o", "initial-model": "gpt-4o" }), { kind: "model", value: "gpt-4o", choices: ["gpt-4o-mini", "gpt-4o"] });
  assert.throws(
    () => answerer({ models: "gpt-4o-mini,gpt-4o" }),
    (e: Error) => e.message === 'toy: setting "initial-model" is "sim-s", which is not among the candidates gpt-4o-mini, gpt-4o; give --set initial-model=<one of them>',
  );
  assert.throws(() => resolveSettings(toy, "openai", { models: " , " }), /setting "models" must be simlm or a comma-separated list of model names/);
});

test("eval --set reaches the built system and its record; a bad --set is one line", () => {
  const ok = cli("eval", "--system", "pubmedqa", "--set", "extraction=answer-line", "--limit", "2", "--json");
  assert.equal(ok.status, 0, ok.stderr);
  const lines = ok.stdout.trim().split("\n");
  assert.deepEqual(JSON.parse(lines.at(-1)!).settings, { models: "simlm", extraction: "answer-line" });
  assert.ok(lines.includes("settings: models=simlm; extraction=answer-line"), ok.stdout);

  const bad = cli("eval", "--system", "pubmedqa", "--set", "extraction=last-word");
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, 'optimas: system "pubmedqa": setting "extraction" must be first-substring or answer-line (got "last-word")\n');
  const malformed = cli("eval", "--system", "pubmedqa", "--set", "extraction");
  assert.notEqual(malformed.status, 0);
  assert.match(malformed.stderr, /--set takes <name>=<value> \(got "extraction"\)/);
  const twice = cli("optimize", "--system", "pubmedqa", "--method", "unoptimized", "--set", "models=paper", "--set", "models=simlm");
  assert.match(twice.stderr, /--set sets "models" twice/);
});

test("a run records its resolved settings in config.json and result.json; other settings in its directory are another run, a default given explicitly is not", async () => {
  const dir = path.join(scratch, "run");
  const spec: OptimizeJobSpec = { system: "hotpotqa", method: "unoptimized", preset: "quick", world: 0, seed: 0, backend: "simlm", settings: { "colbert-url": COLBERT_URL } };
  const summary = await runOptimizeJob(spec, dir);
  const resolved = { retriever: "bm25", "colbert-url": COLBERT_URL };
  const config = JSON.parse(readFileSync(path.join(dir, "config.json"), "utf8")) as { spec: OptimizeJobSpec };
  assert.deepEqual(config.spec.settings, resolved);
  assert.deepEqual(summary.settings, resolved);
  assert.deepEqual((JSON.parse(readFileSync(path.join(dir, "result.json"), "utf8")) as OptimizeSummary).settings, resolved);
  await assert.rejects(runOptimizeJob({ ...spec, settings: {} }, dir), /config\.json: this run directory holds another run/);
  // Giving the default explicitly is the same run: it resumes in the same directory.
  assert.deepEqual((await runOptimizeJob({ ...spec, settings: { retriever: "bm25", "colbert-url": COLBERT_URL } }, dir)).settings, resolved);
});

test("suite settings: checked field by field, resolved for the suite's backend, and carried to every run, results.csv and summary.md", async () => {
  const good = { name: "mini", systems: ["hotpotqa"], methods: ["unoptimized"], seeds: [0], worlds: [0], preset: "quick" };
  const fails = (settings: unknown, pattern: RegExp) => assert.throws(() => parseSuiteConfig({ ...good, settings }, "s.json"), pattern);
  fails(["hotpotqa"], /^Error: s\.json: field "settings" must be an object/);
  fails({ hotpot: {} }, /^Error: s\.json: field "settings\.hotpot" is not a system \(available: .*hotpotqa/);
  fails({ hotpotqa: "colbert" }, /^Error: s\.json: field "settings\.hotpotqa" must be an object/);
  fails({ hotpotqa: { retriever: 1 } }, /^Error: s\.json: field "settings\.hotpotqa\.retriever" must be a string$/);
  fails({ hotpotqa: { retriever: "google" } }, /^Error: s\.json: field "settings\.hotpotqa\.retriever" must be bm25 or colbert \(got "google"\)$/);
  fails({ hotpotqa: { k: "5" } }, /^Error: s\.json: field "settings\.hotpotqa\.k" is unknown \(known: retriever, colbert-url\)$/);

  const config = parseSuiteConfig({ ...good, settings: { hotpotqa: { "colbert-url": COLBERT_URL }, pubmedqa: { extraction: "answer-line" } } }, "s.json");
  const suite = resolveSuite(config);
  assert.deepEqual(suite.settings, { hotpotqa: { retriever: "bm25", "colbert-url": COLBERT_URL } });
  assert.deepEqual(resolveSuite({ ...config, backend: "openai", metaModel: "gpt-4o" }, { systems: ["pubmedqa"] }).settings, { pubmedqa: { models: "paper", extraction: "answer-line" } });

  const outcome = await runSuite(suite, { outDir: path.join(scratch, "suite"), workers: 1, png: false });
  assert.equal(outcome.failed, 0, outcome.rows.map((r) => r.note).join("; "));
  const runConfig = JSON.parse(readFileSync(path.join(outcome.outDir, outcome.rows[0]!.run_dir, "config.json"), "utf8")) as { spec: OptimizeJobSpec };
  assert.deepEqual(runConfig.spec.settings, suite.settings.hotpotqa);
  const { data } = Papa.parse<string[]>(readFileSync(outcome.resultsCsv, "utf8").trim());
  assert.equal(data[1]![data[0]!.indexOf("settings")], `retriever=bm25; colbert-url=${COLBERT_URL}`);
  assert.match(readFileSync(outcome.summaryMd, "utf8"), new RegExp(`System settings: hotpotqa \\(retriever=bm25; colbert-url=${COLBERT_URL.replace(/[.]/g, "\\.")}\\)`));
});
