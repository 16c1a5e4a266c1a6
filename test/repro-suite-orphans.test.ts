import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { LOCK_FILE, lockHolder } from "../src/core/dir-lock";

/** Suite workers die with their parent and write nothing after it: a killed `reproduce` leaves no writers behind. */

const scratch = mkdtempSync(path.join(tmpdir(), "optimas-orphans-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Polls `ready` every 50 ms; a bound only so a broken build fails instead of hanging (not a timing assertion). */
async function until(what: string, ready: () => boolean, boundS = 120): Promise<void> {
  for (let waited = 0; !ready(); waited += 0.05) {
    if (waited > boundS) assert.fail(`gave up waiting for ${what}`);
    await sleep(50);
  }
}

/** Every file of the run directories but the lock, with its size and modification time. */
function snapshot(runs: string[]): string[] {
  return runs.flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f !== LOCK_FILE)
      .map((f) => {
        const s = statSync(path.join(dir, f));
        return `${dir}/${f} ${s.size} ${s.mtimeMs}`;
      }),
  );
}

test("SIGKILL on a suite's parent process: its workers exit without writing another byte and release their run directories", async () => {
  const outDir = path.join(scratch, "suite");
  const runs = ["optimas", "opro"].map((m) => path.join(outDir, "runs", "toy", `${m}-s0-w1`));
  const parent = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "suite-parent.ts"), outDir], { stdio: "ignore" });
  const parentExit = new Promise((resolve) => parent.once("exit", resolve));
  // Both workers hold their run directory and have started writing it (config.json is the first write of a run).
  await until("both workers to start their runs", () => runs.every((d) => existsSync(path.join(d, LOCK_FILE)) && existsSync(path.join(d, "config.json"))));
  const workers = runs.map((d) => lockHolder(d)!.pid);
  assert.ok(workers.every((pid) => pid !== parent.pid && alive(pid)));

  parent.kill("SIGKILL");
  await parentExit;
  const atDeath = snapshot(runs);
  await until("the workers to exit", () => workers.every((pid) => !alive(pid)));
  assert.deepEqual(snapshot(runs), atDeath, "no file written or replaced after the parent died");
  assert.ok(runs.every((d) => !existsSync(path.join(d, LOCK_FILE))), "each worker released its run directory");
  assert.equal(lockHolder(outDir)?.pid, parent.pid, "the killed parent's own lock stays, to be recovered as stale");
});
