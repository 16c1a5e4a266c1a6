/**
 * The quick suite over a real-looking multi-model endpoint: `--backend openai` against serve-sim in
 * strict mode, where the paper's seven model names stand in for the seven SimLM models. Every
 * method runs; each run's results must equal the in-process SimLM run's, with the names mapped
 * back. Only the toy system runs (the whole quick suite takes minutes on 2 cores): the point is the
 * endpoint path (client, cache, HTTP, aliases, meta-model and judge calls), which every system shares.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { OracleStore } from "../src/data/oracle";
import { MODEL_NAMES } from "../src/lm/sim/models";
import { serveSim } from "../src/lm/sim/server";
import { SimLM } from "../src/lm/sim/simlm";
import type { LMProvider } from "../src/core/lm-types";
import { JUDGE_ACCURACY_FILE } from "../src/repro/judge-accuracy";
import { runSuite } from "../src/repro/suite";
import { loadSuiteConfig, resolveSuite, type ResolvedSuite } from "../src/repro/suite-config";
import { toyEntry } from "../src/systems/toy";
import { OFFLINE_TOY } from "../src/systems/toy/settings";

/** The paper's seven models, each serving as one SimLM model. */
const PAPER_ALIASES: Record<string, string> = {
  "gpt-3.5-turbo-0125": "sim-xs",
  "gpt-4o-mini": "sim-s",
  "claude-3-5-haiku-20241022": "sim-m",
  "gpt-4o": "sim-l",
  "claude-3-7-sonnet-20250219": "sim-xl",
  "claude-3-5-sonnet-20241022": "sim-coder",
  "gpt-4-turbo": "sim-med",
};
const aliasOf = Object.fromEntries(Object.entries(PAPER_ALIASES).map(([alias, model]) => [model, alias])) as Record<string, string>;

/** Top-level result fields that name the endpoint rather than measure the run. */
const ENDPOINT_FIELDS = ["backend", "settings", "run_dir", "wall_s", "world"];

/** A run file with every alias read back as its SimLM model and the endpoint's own fields dropped. */
function normalized(file: string): Record<string, unknown> {
  const run = JSON.parse(readFileSync(file, "utf8"), (_key, value: unknown) => (typeof value === "string" && value in PAPER_ALIASES ? PAPER_ALIASES[value] : value)) as Record<string, unknown>;
  for (const key of ENDPOINT_FIELDS) delete run[key];
  // An endpoint's response cache is on by default, SimLM's off (the ledger counts cached calls like any other).
  if (run.lm && typeof run.lm === "object") delete (run.lm as Record<string, unknown>).cache;
  return run;
}

/** SimLM that counts the calls it answers, to prove the suite went through the server. */
function countingSimLM(world: number): { provider: LMProvider; calls: () => number } {
  const oracles = new OracleStore();
  toyEntry.registerOracles(oracles, {});
  const simlm = new SimLM({ world, oracles });
  let calls = 0;
  const provider: LMProvider = {
    id: simlm.id,
    models: () => simlm.models(),
    embed: (texts) => simlm.embed(texts),
    chat: (request, meta) => {
      calls++;
      return simlm.chat(request, meta);
    },
  };
  return { provider, calls: () => calls };
}

test("strict-mode serve-sim: the quick suite on the toy system, every method, --backend openai under the paper's model names, equals the in-process SimLM run", async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "serve-sim-quick-"));
  const cwd = process.cwd();
  // Workers inherit the working directory: the endpoint's response cache (.cache/lm) starts empty there.
  process.chdir(dir);
  t.after(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });
  const quick = loadSuiteConfig("quick");
  const inProcess = resolveSuite(quick, { systems: ["toy"] });
  assert.equal(inProcess.backend, "simlm");
  assert.deepEqual(inProcess.worlds, [0]);
  const extractorModel = String(toyEntry.build({}).components.find((c) => c.name === "extractor")!.config.model);
  const overHttp: ResolvedSuite = resolveSuite(
    {
      ...quick,
      name: "quick-strict",
      backend: "openai",
      model: aliasOf[extractorModel]!,
      metaModel: aliasOf[inProcess.metaModel]!,
      judgeModel: aliasOf[inProcess.judgeModel]!,
      settings: { toy: { models: OFFLINE_TOY.models.map((m) => aliasOf[m]!).join(","), "initial-model": aliasOf[OFFLINE_TOY.initialModel]! } },
    },
    { systems: ["toy"] },
  );
  assert.deepEqual(Object.values(aliasOf).length, MODEL_NAMES.length, "every SimLM model has a paper name");

  const sim = countingSimLM(inProcess.worlds[0]!);
  const server = await serveSim({ provider: sim.provider, aliases: PAPER_ALIASES });
  const previousUrl = process.env.OPENAI_BASE_URL;
  process.env.OPENAI_BASE_URL = server.url;
  t.after(async () => {
    if (previousUrl === undefined) delete process.env.OPENAI_BASE_URL;
    else process.env.OPENAI_BASE_URL = previousUrl;
    await server.close();
  });

  const started = performance.now();
  const local = await runSuite(inProcess, { outDir: path.join(dir, "in-process"), workers: 2, png: false });
  const localDone = performance.now();
  const remote = await runSuite(overHttp, { outDir: path.join(dir, "over-http"), workers: 2, png: false });
  t.diagnostic(`in process ${((localDone - started) / 1000).toFixed(1)} s, over HTTP ${((performance.now() - localDone) / 1000).toFixed(1)} s`);
  assert.equal(local.failed, 0);
  assert.equal(remote.failed, 0, `every run over HTTP finished (${remote.rows.filter((r) => r.status !== "finished").map((r) => `${r.method}: ${r.status}`).join("; ")})`);
  assert.ok(sim.calls() > 0, "the runs went through serve-sim");
  t.diagnostic(`${sim.calls()} chat calls reached serve-sim (the rest were answered by the response cache)`);

  // Every method ran (or is n/a for the toy, as in process), and each run's files match.
  assert.deepEqual(
    remote.rows.map((r) => [r.method, r.status]),
    local.rows.map((r) => [r.method, r.status]),
  );
  assert.deepEqual(new Set(local.rows.map((r) => r.method)), new Set(inProcess.methods));
  for (const row of local.rows.filter((r) => r.status === "finished")) {
    const judged = existsSync(path.join(local.outDir, row.run_dir, JUDGE_ACCURACY_FILE));
    for (const file of ["result.json", "system-state.json", ...(judged ? [JUDGE_ACCURACY_FILE] : [])]) {
      assert.deepEqual(normalized(path.join(remote.outDir, row.run_dir, file)), normalized(path.join(local.outDir, row.run_dir, file)), `${row.method}: ${file}`);
    }
  }
});
