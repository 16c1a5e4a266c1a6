import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Papa from "papaparse";
import { main } from "../src/cli/main";
import { EXIT, UsageError } from "../src/core/failure";
import { Budget, BudgetExceededError } from "../src/core/budget";
import { SimLM } from "../src/lm/sim/simlm";
import type { OptimizeSummary } from "../src/repro/optimize-job";
import { parseSuiteConfig, resolveSuite } from "../src/repro/suite-config";

/** Spend caps: one run budget over the method's and the test's accounts, and the --max-* options that set it. */

function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "optimas-budget-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs the CLI in process; counts the chat calls SimLM received and keeps what went to stderr. */
async function cli(...args: string[]): Promise<{ code: number; received: number; errorLine: string | undefined }> {
  let received = 0;
  const chat = SimLM.prototype.chat;
  SimLM.prototype.chat = function (this: SimLM, ...a: Parameters<typeof chat>) {
    received++;
    return chat.apply(this, a);
  };
  const written: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => (written.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    const code = await main(["node", "optimas", ...args]);
    const errorLine = written.join("").split("\n").find((l) => l.startsWith("optimas: "));
    return { code, received, errorLine };
  } finally {
    SimLM.prototype.chat = chat;
    process.stderr.write = write;
  }
}

/** result.json without what legitimately differs between sessions and directories. */
function comparableResult(dir: string): Partial<OptimizeSummary> {
  const { wall_s: _w, run_dir: _d, caps: _c, ...rest } = JSON.parse(fs.readFileSync(path.join(dir, "result.json"), "utf8")) as OptimizeSummary;
  return rest;
}

test("an account's charges count against its parent's caps; the refusing budget keeps its refusal; restore moves the parent by the difference", () => {
  const run = new Budget({ systemRuns: 3 }, { scope: "run" });
  const optimize = run.account("optimize", { systemRuns: 10 });
  const testing = run.account("test");
  optimize.reserve("systemRuns");
  testing.reserve("systemRuns");
  testing.reserve("systemRuns");
  assert.throws(() => optimize.reserve("systemRuns"), (err: unknown) => err instanceof BudgetExceededError && err.scope === "run" && err.cap === 3);
  assert.deepEqual([run.spent.systemRuns, optimize.spent.systemRuns, testing.spent.systemRuns], [3, 1, 2]);
  assert.equal(run.refusal?.resource, "systemRuns");
  assert.equal(optimize.refusal, null, "the account's own cap did not refuse");
  optimize.restore({ llmCalls: 0, tokens: 0, costUsd: 0, systemRuns: 0 });
  assert.deepEqual([run.spent.systemRuns, optimize.spent.systemRuns], [2, 0]);
});

test("a token or cost cap, once crossed by calls in flight, refuses the next call before it starts", () => {
  for (const caps of [{ tokens: 100 }, { costUsd: 0.5 }]) {
    const run = new Budget(caps, { scope: "run" });
    const account = run.account("optimize");
    account.reserve("llmCalls");
    account.reserve("llmCalls");
    account.charge(60, 0.3); // the first call's reply: under both caps
    assert.throws(() => account.charge(60, 0.3), BudgetExceededError); // the second crosses
    assert.throws(() => account.reserve("llmCalls"), (err: unknown) => err instanceof BudgetExceededError && err.scope === "run");
    assert.equal(run.spent.llmCalls, 2);
  }
});

test("suite caps are checked field by field; --max-* replace the suite's cap of the same resource", () => {
  const good = { name: "mini", systems: ["toy"], methods: ["unoptimized"], seeds: [0], worlds: [0], preset: "quick" };
  const fails = (caps: unknown, pattern: RegExp) =>
    assert.throws(() => parseSuiteConfig({ ...good, caps }, "s.json"), (err: unknown) => err instanceof UsageError && pattern.test(err.message));
  fails(500, /^s\.json: field "caps" must be an object such as \{ "llmCalls": 5000/);
  fails({ calls: 5 }, /^s\.json: field "caps\.calls" is not a cap \(caps: systemRuns, llmCalls, tokens, costUsd\)/);
  fails({ llmCalls: -1 }, /field "caps\.llmCalls" must be an integer ≥ 0/);
  fails({ systemRuns: 2.5 }, /field "caps\.systemRuns" must be an integer ≥ 0/);
  fails({ costUsd: "1" }, /field "caps\.costUsd" must be a number ≥ 0/);
  const suite = resolveSuite(parseSuiteConfig({ ...good, caps: { llmCalls: 5000, costUsd: 2 } }, "s.json"), { caps: { llmCalls: 700 } });
  assert.deepEqual(suite.caps, { llmCalls: 700, costUsd: 2 });
});

test("--max-llm-calls binds every call, test evaluation included: the endpoint gets exactly the cap, the command exits with EXIT.budget, and resume with a higher cap ends as an uncapped run", async (t) => {
  const dir = scratch(t);
  const uncapped = await cli("optimize", "--system", "toy", "--method", "unoptimized", "--out", path.join(dir, "free"));
  assert.equal(uncapped.code, EXIT.ok);
  const free = comparableResult(path.join(dir, "free"));
  const total = free.llm_calls! + free.test_llm_calls!;
  assert.equal(uncapped.received, total, "every call SimLM received is counted");
  // A cap that the final test evaluation reaches (the method itself spends far less).
  const cap = free.llm_calls! + Math.round(0.75 * free.test_llm_calls!);
  const capped = await cli("optimize", "--system", "toy", "--method", "unoptimized", "--max-llm-calls", String(cap), "--out", path.join(dir, "capped"));
  assert.equal(capped.code, EXIT.budget);
  assert.equal(capped.received, cap, "the endpoint received no call beyond the cap");
  assert.match(capped.errorLine!, new RegExp(`stopped at its cap --max-llm-calls ${cap} \\(${cap} LLM calls spent: ${free.llm_calls} optimizing, ${cap - free.llm_calls!} testing\\); raise it and continue with \`optimas resume .*capped --max-llm-calls <higher>\``));
  assert.ok(!fs.existsSync(path.join(dir, "capped", "result.json")));

  const resumed = await cli("resume", path.join(dir, "capped"), "--max-llm-calls", String(total));
  assert.equal(resumed.code, EXIT.ok, resumed.errorLine);
  assert.deepEqual(comparableResult(path.join(dir, "capped")), free);
  const config = JSON.parse(fs.readFileSync(path.join(dir, "capped", "config.json"), "utf8")) as { caps: unknown };
  assert.deepEqual(config.caps, { llmCalls: total }, "config.json records the caps the run continued under");

  // The same cap from a suite file: the cell stops there (exit 4, row "stopped" with the cap's line); a higher --max-llm-calls continues it.
  const suiteFile = path.join(dir, "capped-suite.json");
  fs.writeFileSync(suiteFile, JSON.stringify({ name: "capped", systems: ["toy"], methods: ["unoptimized"], seeds: [0], worlds: [0], preset: "quick", caps: { llmCalls: cap } }));
  const suiteArgs = ["reproduce", "--suite", suiteFile, "--out", path.join(dir, "suite"), "--workers", "1", "--no-png"];
  const stopped = await cli(...suiteArgs);
  assert.equal(stopped.code, EXIT.budget);
  assert.match(stopped.errorLine!, new RegExp(`1 run\\(s\\) stopped at their spend cap \\(--max-llm-calls ${cap}\\); rerun the same command with a higher cap`));
  const row = () => Papa.parse<Record<string, string>>(fs.readFileSync(path.join(dir, "suite", "results.csv"), "utf8").trim(), { header: true }).data[0]!;
  assert.equal(row().status, "stopped");
  assert.match(row().note!, new RegExp(`stopped at its cap --max-llm-calls ${cap} \\(${cap} LLM calls spent`));
  assert.equal((await cli(...suiteArgs, "--max-llm-calls", String(total))).code, EXIT.ok);
  assert.equal(Number(row().test_mean), free.test_after);
  assert.equal(Number(row().llm_calls) + Number(row().test_llm_calls), total);
});

test("an Optimas run capped before its first checkpoint, and one capped mid-loop, each resume after the cap is raised and end as the uncapped run", async (t) => {
  const dir = scratch(t);
  assert.equal((await cli("optimize", "--system", "toy", "--method", "optimas", "--out", path.join(dir, "free"))).code, EXIT.ok);
  const free = comparableResult(path.join(dir, "free"));
  const total = free.system_runs! + free.test_system_runs!;
  const baselineRuns = free.test_system_runs! / 2;
  // Just past the test score before optimizing: the cap falls inside Optimas's initialization.
  const early = baselineRuns + 50;
  // Past the initialization and some iterations, before the end.
  const late = baselineRuns + Math.round(0.7 * free.system_runs!);
  for (const [name, cap] of [["early", early], ["late", late]] as const) {
    const out = path.join(dir, name);
    const capped = await cli("optimize", "--system", "toy", "--method", "optimas", "--max-system-runs", String(cap), "--out", out);
    assert.equal(capped.code, EXIT.budget, `${name}: ${capped.errorLine}`);
    assert.match(capped.errorLine!, new RegExp(`stopped at its cap --max-system-runs ${cap} \\(${cap} system runs spent`));
    const checkpoint = path.join(out, "checkpoint.json");
    if (name === "early") assert.ok(!fs.existsSync(checkpoint), "the early cap stops before the first checkpoint");
    else assert.ok(JSON.parse(fs.readFileSync(checkpoint, "utf8")).nextIteration > 0, "the late cap stops after some iterations");
    const resumed = await cli("resume", out, "--max-system-runs", String(total));
    assert.equal(resumed.code, EXIT.ok, `${name}: ${resumed.errorLine}`);
    assert.deepEqual(comparableResult(out), free, name);
  }
});
