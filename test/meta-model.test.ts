import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { main } from "../src/cli/main";
import { EXIT, UsageError } from "../src/core/failure";
import { SimLM } from "../src/lm/sim/simlm";
import { RunDir } from "../src/core/run-dir";
import { resolveMetaModels, SIMLM_META_MODELS } from "../src/repro/meta-model";
import { getMethod } from "../src/repro/methods";
import { createRuntime } from "../src/repro/runtime";
import { runOptimizeJob, type OptimizeJobSpec } from "../src/repro/optimize-job";
import { jobSpec, planSuite } from "../src/repro/plan";
import { readResultRow, resultsCsv } from "../src/repro/results";
import { parseSuiteConfig, resolveSuite } from "../src/repro/suite-config";

/** The meta-model and the judge: per-backend settings, required for a real endpoint, read by every method, recorded everywhere. */

function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "optimas-meta-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** An OpenAI-compatible endpoint that counts the requests it gets (and answers none usefully). */
async function countingEndpoint(t: { after: (fn: () => void) => void }): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  const server = http.createServer((_req, res) => {
    requests++;
    res.writeHead(500).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => server.close());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, requests: () => requests };
}

async function withEnv<T>(env: Record<string, string>, body: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await body();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

async function cliError(...args: string[]): Promise<{ code: number; lines: string[] }> {
  const written: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => (written.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    const code = await main(["node", "optimas", ...args]);
    return { code, lines: written.join("").split("\n").filter((l) => l.startsWith("optimas: ")) };
  } finally {
    process.stderr.write = write;
  }
}

test("backend defaults: SimLM's own sim-l, the judge following the meta-model; a real endpoint has none", () => {
  assert.deepEqual(SIMLM_META_MODELS, { metaModel: "sim-l", judgeModel: "sim-l" });
  assert.deepEqual(resolveMetaModels("openai", { metaModel: "gpt-4o" }), { metaModel: "gpt-4o", judgeModel: "gpt-4o" });
  assert.deepEqual(resolveMetaModels("openai", { metaModel: "gpt-4o", judgeModel: "gpt-4o-mini" }), { metaModel: "gpt-4o", judgeModel: "gpt-4o-mini" });
  assert.throws(() => resolveMetaModels("openai", { judgeModel: "gpt-4o-mini" }), UsageError);
});

test("with --backend openai and no meta-model, optimize and reproduce stop with one line before any request and write no run directory", async (t) => {
  const dir = scratch(t);
  const endpoint = await countingEndpoint(t);
  const suiteFile = path.join(dir, "online.json");
  fs.writeFileSync(suiteFile, JSON.stringify({ name: "online", systems: ["toy"], methods: ["opro"], seeds: [0], worlds: [0], preset: "quick", backend: "openai" }));
  await withEnv({ OPENAI_BASE_URL: endpoint.url, OPENAI_API_KEY: "sk-test-not-a-key" }, async () => {
    const optimize = await cliError("optimize", "--system", "toy", "--method", "opro", "--backend", "openai", "--out", path.join(dir, "run"));
    assert.equal(optimize.code, EXIT.usage);
    assert.deepEqual(optimize.lines, [`optimas: backend "openai" has no default meta-model: give --meta-model <model> (and optionally --judge-model <model>), the model that writes instruction proposals, critiques and judge scores; nothing was spent`]);
    assert.ok(!fs.existsSync(path.join(dir, "run")), "no run directory");
    const reproduce = await cliError("reproduce", "--suite", suiteFile, "--out", path.join(dir, "suite"), "--no-png");
    assert.equal(reproduce.code, EXIT.usage);
    assert.equal(reproduce.lines.length, 1);
    assert.match(reproduce.lines[0]!, /give --meta-model or "metaModel" in suite "online"/);
    assert.ok(!fs.existsSync(path.join(dir, "suite")), "no results directory");
  });
  assert.equal(endpoint.requests(), 0, "nothing reached the endpoint");
  assert.throws(() => parseSuiteConfig({ name: "x", systems: ["toy"], methods: ["opro"], seeds: [0], worlds: [0], preset: "quick", metaModel: 3 }, "s.json"), /s\.json: field "metaModel" must be a model name/);
});

test("every proposing, critiquing and judging method sends its meta-skill calls to the resolved models", async (t) => {
  const dir = scratch(t);
  const models = { metaModel: "sim-m", judgeModel: "sim-s" };
  const byModel: Record<string, Set<string>> = {};
  const chat = SimLM.prototype.chat;
  let method = "";
  SimLM.prototype.chat = function (this: SimLM, ...args: Parameters<typeof chat>) {
    const [request, meta] = args;
    const skill = meta?.skill ?? "";
    if (/^(meta|judge)\./.test(skill)) (byModel[`${method} ${skill.split(":")[0]}`] ??= new Set()).add(request.model);
    return chat.apply(this, args);
  };
  t.after(() => (SimLM.prototype.chat = chat));
  for (const id of ["opro", "mipro", "textgrad", "optimas", "optimas-judge"]) {
    method = id;
    // A budget that reaches each method's first proposals and judge scores: this test is about who gets the calls.
    const rt = createRuntime({ system: "toy", budget: { llmCalls: 6_000 } });
    await getMethod(id).run({ system: rt.system, train: rt.data.train, val: rt.data.val, ctx: rt.ctx, preset: "quick", options: getMethod(id).resolveOptions("quick", {}), models, runDir: new RunDir(path.join(dir, id)), log: () => undefined });
  }
  const seen = Object.fromEntries(Object.entries(byModel).map(([k, models]) => [k, [...models]]));
  assert.deepEqual(seen, {
    "opro meta.propose": ["sim-m"],
    "mipro meta.propose": ["sim-m"],
    "textgrad meta.critique": ["sim-m"],
    "textgrad meta.edit": ["sim-m"],
    "optimas meta.propose": ["sim-m"],
    "optimas-judge meta.propose": ["sim-m"],
    "optimas-judge judge.score": ["sim-s"],
  });
});

test("a suite's meta-model and judge reach its runs and are recorded in config.json, result.json and results.csv", async (t) => {
  const dir = scratch(t);
  const suite = resolveSuite(parseSuiteConfig({ name: "meta", systems: ["toy"], methods: ["unoptimized"], seeds: [0], worlds: [0], preset: "quick", metaModel: "sim-m", judgeModel: "sim-s" }, "meta.json"));
  const [cell] = planSuite(suite, dir);
  const result = await runOptimizeJob(jobSpec(suite, cell!), cell!.dir);
  assert.deepEqual([result.meta_model, result.judge_model], ["sim-m", "sim-s"]);
  const config = JSON.parse(fs.readFileSync(path.join(cell!.dir, "config.json"), "utf8")) as { spec: OptimizeJobSpec };
  assert.deepEqual([config.spec.metaModel, config.spec.judgeModel], ["sim-m", "sim-s"]);
  assert.match(resultsCsv([readResultRow(cell!, dir)]), /,sim-m,sim-s,/);
  // Another meta-model is another run: the same directory refuses it.
  await assert.rejects(runOptimizeJob({ ...jobSpec(suite, cell!), metaModel: "sim-l" }, cell!.dir), /holds another run/);
});
