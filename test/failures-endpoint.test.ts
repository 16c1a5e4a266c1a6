/**
 * Endpoints that cannot be reached stop a run with one line and a non-zero exit, never a score:
 * `optimas eval` and `optimas optimize` against a closed port (the run directory stays resumable,
 * and `optimas resume` against a working server ends exactly as an uninterrupted run), and
 * HotpotQA's ColBERTv2 retriever at a closed port.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { RunContext } from "../src/core/context";
import { EXIT, FatalRunError } from "../src/core/failure";
import { serveSim, type SimServer } from "../src/lm/sim/server";
import { SimLM } from "../src/lm/sim/simlm";
import { OracleStore } from "../src/data/oracle";
import { toyEntry } from "../src/systems/toy";
import { buildHotpotQASystem } from "../src/systems/hotpotqa/index";
import { ColBERTv2Retriever } from "../src/systems/hotpotqa/bm25";
import type { OptimizeSummary } from "../src/repro/optimize-job";
import type { LM } from "../src/core/lm-types";

const CLI = path.resolve(__dirname, "../src/cli/main.ts");
// Absolute, so the CLI can run in a scratch directory.
const TSX = pathToFileURL(require.resolve("tsx")).href;
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "optimas-fail-"));

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Runs the CLI in `cwd` (its LM cache stays there), against `baseURL`; asynchronous, as serve-sim answers from this process. */
function optimas(args: string[], baseURL: string, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", TSX, CLI, ...args], {
    cwd,
    env: { ...process.env, OPENAI_BASE_URL: baseURL, OPENAI_API_KEY: "", OPTIMAS_DEBUG: "" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

// Short waits: the point is the outcome, not how long the client tries.
const FAST = ["--timeout", "2", "--retries", "1"];
const TOY_OPTIMIZE = ["optimize", "--system", "toy", "--method", "unoptimized", "--backend", "openai", "--model", "sim-m", "--meta-model", "sim-l", "--world", "0"];

let deadURL: string;
let server: SimServer;

before(async () => {
  deadURL = `http://127.0.0.1:${await closedPort()}/v1`;
  const oracles = new OracleStore();
  toyEntry.registerOracles(oracles, {});
  server = await serveSim({ provider: new SimLM({ world: 0, oracles }) });
});
after(() => server.close());

test("eval against an unreachable endpoint exits with the fatal code and one line naming it, no score", async () => {
  const r = await optimas(["eval", "--system", "toy", "--backend", "openai", "--model", "sim-m", "--limit", "3", "--cache", "off", ...FAST], deadURL, tmp());
  assert.equal(r.code, EXIT.fatal, r.stderr);
  const lines = r.stderr.trim().split("\n").filter((l) => l.startsWith("optimas: "));
  assert.equal(lines.length, 1, r.stderr);
  assert.ok(lines[0]!.includes(deadURL), lines[0]);
  assert.doesNotMatch(r.stdout, /mean/, "no score is printed");
});

test("optimize against an unreachable endpoint stops resumably; resume against a working one ends as an uninterrupted run", async () => {
  const cwd = tmp();
  const dir = path.join(cwd, "run");
  const stopped = await optimas([...TOY_OPTIMIZE, "--out", dir, ...FAST], deadURL, cwd);
  assert.equal(stopped.code, EXIT.fatal, stopped.stderr);
  assert.match(stopped.stderr, new RegExp(`optimas: .*${deadURL.replace(/[.:/]/g, "\\$&")}`));
  assert.equal(fs.existsSync(path.join(dir, "result.json")), false, "no result was written");
  assert.equal(fs.existsSync(path.join(dir, "baseline.json")), false, "no baseline was stored from failed runs");
  const stop = JSON.parse(fs.readFileSync(path.join(dir, "stopped.json"), "utf8")) as { status: string; error: string };
  assert.equal(stop.status, "stopped");
  assert.ok(stop.error.includes(deadURL), stop.error);

  const resumed = await optimas(["resume", dir, "--json"], server.url, cwd);
  assert.equal(resumed.code, EXIT.ok, resumed.stderr);
  assert.equal(fs.existsSync(path.join(dir, "stopped.json")), false, "resuming withdraws the stop");
  const other = path.join(cwd, "uninterrupted");
  const clean = await optimas([...TOY_OPTIMIZE, "--out", other, "--json"], server.url, cwd);
  assert.equal(clean.code, EXIT.ok, clean.stderr);
  const result = (d: string) => JSON.parse(fs.readFileSync(path.join(d, "result.json"), "utf8")) as OptimizeSummary;
  const a = result(dir);
  const b = result(other);
  for (const key of ["status", "test_before", "test_after", "val_before", "val_after", "system_runs", "test_system_runs", "failed_runs", "parse_failures", "failures"] as const) {
    assert.deepEqual(a[key], b[key], key);
  }
  assert.equal(a.status, "finished");
  assert.equal(a.failed_runs, 0);
  assert.ok(a.failures.baseline.runs > 0 && a.failures.test.runs > 0, JSON.stringify(a.failures));
});

test("an unreachable ColBERTv2 retriever is fatal, naming the URL and the fix, not a score of 0", async () => {
  const url = `http://127.0.0.1:${await closedPort()}/wiki17_abstracts`;
  const system = buildHotpotQASystem({ retriever: new ColBERTv2Retriever(url, { timeoutMs: 2000 }) });
  // Every LLM component gets a reply with every field, so the run reaches the retriever.
  const reply = ["rewritten_query", "search_keywords", "hints", "answer"].map((f) => `[[ ## ${f} ## ]]\nSeine Paris`).join("\n");
  const lm: LM = {
    providerId: "fake",
    chat: async () => ({ text: reply, model: "m", usage: { promptTokens: 1, completionTokens: 1 }, costUsd: 0, latencyMs: 0, cached: false }),
    embed: async (texts) => texts.map(() => [0]),
  };
  const ctx = new RunContext({ lm, seed: 0 });
  const examples = [{ id: "q0", fields: { question: "Which river flows through the capital of France?", gd_answer: "Seine" } }];
  const err = await system.evaluate(examples, ctx).then(
    () => assert.fail("the evaluation should have stopped"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof FatalRunError, String(err));
  assert.match(err.message, new RegExp(`^ColBERTv2 server ${url.replace(/[.:/]/g, "\\$&")}: cannot be reached \\(ECONNREFUSED\\); start the ColBERTv2 server .*--set retriever=bm25`));
});

test("eval with a failed run prints the mean of the others and the counts by cause, and exits with the fatal code", async () => {
  // A ColBERTv2 server whose second answer is a 500: that run is a counted "tool" failure.
  let requests = 0;
  const colbert = http.createServer((_req, res) => {
    const status = ++requests === 2 ? 500 : 200;
    res.writeHead(status, { "content-type": "application/json" });
    res.end(status === 200 ? JSON.stringify({ topk: [{ text: "Paris | Paris is the capital of France.", score: 1 }] }) : "{}");
  });
  await new Promise<void>((resolve) => colbert.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(colbert.address() as net.AddressInfo).port}/wiki17_abstracts`;
  try {
    const r = await optimas(["eval", "--system", "hotpotqa", "--set", "retriever=colbert", "--set", `colbert-url=${url}`, "--limit", "5", "--repeats", "1"], deadURL, tmp());
    assert.ok(requests >= 2, `the retriever was asked ${requests} times`);
    assert.equal(r.code, EXIT.fatal, r.stderr);
    assert.match(r.stdout, /mean/);
    assert.match(r.stdout, /runs: 1 failed \(tool 1\), \d+ unparsed of 5 runs/);
    assert.match(r.stderr, /^optimas: eval hotpotqa\/test: 1 failed \(tool 1\), \d+ unparsed of 5 runs; the mean leaves the failed runs out/m);
  } finally {
    await new Promise<void>((resolve) => colbert.close(() => resolve()));
  }
});
