import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import * as path from "node:path";
import { classifyError, main } from "../src/cli/main";
import { DirLockedError } from "../src/core/dir-lock";
import { EXIT, FatalRunError, InterruptedError, UsageError } from "../src/core/failure";
import { DataError } from "../src/data/errors";
import { BudgetExceededError } from "../src/core/budget";

/** Every error class ends the command with its documented exit code (README "Exit codes") and one line. */

const scratch = mkdtempSync(path.join(tmpdir(), "optimas-exit-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

function cli(args: string[], env: Record<string, string> = {}) {
  const run = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { encoding: "utf8", env: { ...process.env, ...env } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr.trim() };
}

test("argument errors exit 2 (EXIT.usage) with commander's line; --help exits 0", () => {
  const cases: [string[], RegExp][] = [
    [["eval"], /^optimas: required option '--system <id>' not specified$/],
    [["eval", "--system", "toy", "--bogus"], /^optimas: unknown option '--bogus'$/],
    [["eval", "--system", "toy", "--seed", "x"], /^optimas: option '--seed <n>' argument 'x' is invalid\. --seed must be an integer ≥ 0 \(got "x"\)$/],
    [["no-such-command"], /^optimas: unknown command 'no-such-command'$/],
  ];
  for (const [args, line] of cases) {
    const run = cli(args);
    assert.equal(run.status, EXIT.usage, args.join(" "));
    assert.match(run.stderr.split("\n")[0]!, line);
  }
  const help = cli(["optimize", "--help"]);
  assert.equal(help.status, EXIT.ok);
  assert.match(help.stdout, /--out <dir>/);
});

test("the project's own checks exit 2 with one line and create nothing: an unknown method, a directory that is not a run", () => {
  const out = path.join(scratch, "never-created");
  const method = cli(["optimize", "--system", "toy", "--method", "bogus", "--out", out]);
  assert.equal(method.status, EXIT.usage);
  assert.match(method.stderr, /^optimas: unknown method "bogus" \(available: .*optimas.*\)$/);
  assert.ok(!existsSync(out), "no run directory left behind");

  const resume = cli(["resume", scratch]);
  assert.equal(resume.status, EXIT.usage);
  assert.equal(resume.stderr, `optimas: ${path.join(scratch, "config.json")}: not found; pass a run directory that \`optimas optimize\` wrote (its --out)`);
});

test("each error class maps to its documented code and one line", () => {
  const cases: [unknown, number, string][] = [
    [new FatalRunError("http://127.0.0.1:9/v1", "401 Unauthorized", "set OPENAI_API_KEY"), EXIT.fatal, "http://127.0.0.1:9/v1: 401 Unauthorized; set OPENAI_API_KEY"],
    [new BudgetExceededError("llmCalls", 10), EXIT.budget, "budget exhausted: llmCalls reached its cap of 10; raise the cap and continue with `optimas resume <run directory>`"],
    [new InterruptedError("interrupted: 2 runs pending; rerun the same command to resume them"), EXIT.interrupted, "interrupted: 2 runs pending; rerun the same command to resume them"],
    [new UsageError("--methods: unknown method \"x\""), EXIT.usage, "--methods: unknown method \"x\""],
    [new DataError("a.jsonl", 3, "question", "is empty", "fix it"), EXIT.usage, 'a.jsonl, line 3, field "question": is empty; fix it'],
    [new DirLockedError("/d/optimas.lock", { pid: 7, hostname: hostname(), started: "t", command: "c" }), EXIT.usage, "/d is in use by pid 7 (c, since t); wait for it to finish or stop it, then rerun"],
    [new TypeError("x is undefined\n    at somewhere"), EXIT.internal, "internal error: x is undefined (set OPTIMAS_DEBUG=1 for the stack trace)"],
  ];
  for (const [err, code, line] of cases) assert.deepEqual(classifyError(err), { code, line }, String(err));
  assert.deepEqual(new Set(cases.map(([, code]) => code)), new Set([EXIT.fatal, EXIT.budget, EXIT.interrupted, EXIT.usage, EXIT.internal]));
});

test("OPTIMAS_DEBUG=1 prints the stack trace instead of the line", async () => {
  const written: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => (written.push(String(chunk)), true)) as typeof process.stderr.write;
  process.env.OPTIMAS_DEBUG = "1";
  let code: number;
  try {
    code = await main(["node", "optimas", "resume", scratch]);
  } finally {
    process.stderr.write = write;
    delete process.env.OPTIMAS_DEBUG;
  }
  assert.equal(code, EXIT.usage);
  assert.match(written.join(""), /^optimas: Error: .*config\.json: not found;.*\n\s+at resumeCommand /);
});
