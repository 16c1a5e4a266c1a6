import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import Papa from "papaparse";
import { acquireDirLock, DirLockedError } from "../src/core/dir-lock";
import { EXIT } from "../src/core/failure";
import { runSuite } from "../src/repro/suite";
import { resolveSuite } from "../src/repro/suite-config";

/** A suite run that errored is "failed" with its first error line everywhere it is reported, and one suite writes a results directory at a time. */

const scratch = mkdtempSync(path.join(tmpdir(), "optimas-suite-failures-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const CONFIG = { name: "failures", description: "", systems: ["toy"], methods: ["optimas"], seeds: [0], worlds: [1], preset: "quick" as const, backend: "simlm" as const };
const SUITE = resolveSuite(CONFIG);

/** A results directory whose one cell cannot run: its run directory holds another run's config. */
function doomedSuiteDir(name: string): string {
  const outDir = path.join(scratch, name);
  const cell = path.join(outDir, "runs", "toy", "optimas-s0-w1");
  mkdirSync(cell, { recursive: true });
  writeFileSync(path.join(cell, "config.json"), JSON.stringify({ spec: { system: "toy", method: "other" } }));
  return outDir;
}

function cli(args: string[]) {
  const run = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { encoding: "utf8" });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr.trim() };
}

test("a cell whose run threw shows as failed with its first error line in results.csv and summary.md, never as pending", async () => {
  const outcome = await runSuite(SUITE, { outDir: doomedSuiteDir("in-process"), workers: 1, png: false });
  assert.equal(outcome.failed, 1);
  const [row] = outcome.rows;
  assert.equal(row!.status, "failed");
  assert.match(row!.note, /^.*config\.json: this run directory holds another run \(toy\/other\); use a new --out$/);
  const csv = Papa.parse<Record<string, string>>(readFileSync(outcome.resultsCsv, "utf8").trim(), { header: true }).data;
  assert.deepEqual([csv[0]!.status, csv[0]!.note], ["failed", row!.note]);
  const summary = readFileSync(outcome.summaryMd, "utf8");
  assert.doesNotMatch(summary, /pending/);
  assert.match(summary, /\| optimas +\| optimas +\| failed \(1\/1 runs\) +\|/);
  assert.ok(summary.includes(`## Failed runs\n\nRerun the same command to retry them once the cause is fixed.\n\n- toy / optimas s0 w1 (\`runs/toy/optimas-s0-w1\`): ${row!.note}\n`), summary);
  assert.match(outcome.text, /Failed runs:\n- toy \/ optimas s0 w1/);
});

test("reproduce with a failed cell exits 3 (EXIT.fatal) with one line naming summary.md", () => {
  const outDir = doomedSuiteDir("cli");
  const suiteFile = path.join(scratch, "failures.json");
  writeFileSync(suiteFile, JSON.stringify(CONFIG));
  const run = cli(["reproduce", "--suite", suiteFile, "--out", outDir, "--workers", "1", "--no-png"]);
  assert.equal(run.status, EXIT.fatal, run.stderr);
  assert.equal(run.stderr.split("\n").pop(), `optimas: ${path.join(outDir, "summary.md")}: 1 run(s) failed (listed under "Failed runs", status "failed" in results.csv); fix the cause and rerun the same command to retry them`);
  assert.match(run.stdout, /failed \(1\/1 runs\)/);
});

test("a second suite on one results directory stops at once naming the first, in process and from the command line", async () => {
  const outDir = path.join(scratch, "locked");
  const lock = acquireDirLock(outDir, { command: "optimas reproduce --suite quick" });
  try {
    await assert.rejects(runSuite(SUITE, { outDir, workers: 1, png: false }), (err: unknown) => err instanceof DirLockedError && err.holder.pid === process.pid);
    const run = cli(["reproduce", "--systems", "toy", "--methods", "optimas", "--seeds", "0", "--worlds", "1", "--out", outDir, "--no-png"]);
    assert.equal(run.status, EXIT.usage);
    assert.match(run.stderr, new RegExp(`^optimas: ${outDir} is in use by pid ${process.pid} \\(optimas reproduce --suite quick, since \\S+\\); wait for it to finish or stop it, then rerun$`));
  } finally {
    lock.release();
  }
});
