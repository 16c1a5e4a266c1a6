import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import * as path from "node:path";
import { acquireDirLock, DirLockedError, LOCK_FILE, lockHolder, type LockHolder } from "../src/core/dir-lock";
import { EXIT, UsageError } from "../src/core/failure";

/** One writer per directory: a second writer stops naming the first, stale locks are recovered, locks go however the holder ends. */

const temps: string[] = [];
after(() => temps.forEach((t) => rmSync(t, { recursive: true, force: true })));
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "optimas-lock-"));
  temps.push(dir);
  return dir;
}

/** Starts test/lock-holder.ts on `dir` and resolves once it holds the lock. */
async function startHolder(dir: string, command: string, mode = "wait"): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "lock-holder.ts"), dir, command, mode], { stdio: ["ignore", "pipe", "pipe"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("locked") && resolve());
    child.on("exit", (code) => (mode === "throw" ? resolve() : reject(new Error(`holder exited with ${code}`))));
  });
  return child;
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}

function cli(args: string[]) {
  const run = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { encoding: "utf8" });
  return { status: run.status, stderr: run.stderr.trim() };
}

/** A pid that ran on this host and is gone now. */
function deadPid(): number {
  const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(gone.stdout);
}

test("two writers on one run directory: optimize and resume stop at once naming the holder's pid and command; SIGTERM releases the lock", async () => {
  const dir = tempDir();
  writeFileSync(path.join(dir, "config.json"), JSON.stringify({ spec: { system: "toy", method: "optimas", preset: "quick", world: 0, seed: 0, backend: "simlm" } }));
  const holder = await startHolder(dir, `optimas optimize --system toy --method optimas --out ${dir}`);
  try {
    const before = readdirSync(dir).sort();
    for (const args of [["resume", dir], ["optimize", "--system", "toy", "--method", "optimas", "--out", dir]]) {
      const second = cli(args);
      assert.equal(second.status, EXIT.usage, second.stderr);
      assert.equal(second.stderr.split("\n").length, 1, second.stderr);
      assert.match(second.stderr, new RegExp(`^optimas: ${dir} is in use by pid ${holder.pid} \\(optimas optimize --system toy --method optimas --out ${dir}, since \\S+\\); wait for it to finish or stop it, then rerun$`));
      assert.deepEqual(readdirSync(dir).sort(), before, "the second writer wrote nothing");
    }
  } finally {
    holder.kill("SIGTERM");
  }
  assert.deepEqual(await exited(holder), { code: 128 + 15, signal: null }, "exits as an unhandled SIGTERM would");
  assert.ok(!existsSync(path.join(dir, LOCK_FILE)), "released on SIGTERM");
});

test("a command that handles SIGINT itself stops in its own way, and its lock still goes", async () => {
  const dir = tempDir();
  const holder = await startHolder(dir, "optimas reproduce", "graceful");
  let out = "";
  holder.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
  holder.kill("SIGINT");
  assert.deepEqual(await exited(holder), { code: 7, signal: null }, "the command's handler ended it, not the lock's");
  assert.match(out, /stopping/);
  assert.equal(lockHolder(dir), undefined, "released on exit");
});

test("a holder that crashes releases its lock; one killed outright leaves a stale lock that the next writer recovers with a note", async () => {
  const crashed = tempDir();
  const thrower = await startHolder(crashed, "crashes", "throw");
  assert.notEqual((await exited(thrower)).code, 0);
  assert.equal(lockHolder(crashed), undefined, "released when the process dies of an error");

  const killed = tempDir();
  const victim = await startHolder(killed, "optimas resume killed-run");
  const started = lockHolder(killed)!.started;
  victim.kill("SIGKILL");
  await exited(victim);
  assert.equal(lockHolder(killed)?.pid, victim.pid, "SIGKILL leaves the lock behind");
  const notes: string[] = [];
  const lock = acquireDirLock(killed, { command: "next writer", note: (l) => notes.push(l) });
  assert.deepEqual(notes, [`recovered a stale lock in ${killed}: pid ${victim.pid} (optimas resume killed-run, since ${started}) is gone`]);
  assert.equal(lockHolder(killed)?.pid, process.pid);
  assert.equal(lockHolder(killed)?.command, "next writer");
  lock.release();
  assert.equal(lockHolder(killed), undefined);
});

test("a stale lock written by hand (dead pid, this host) is recovered; another host's lock is not, and its message says how to clear it", () => {
  const dir = tempDir();
  const stale: LockHolder = { pid: deadPid(), hostname: hostname(), started: "2026-01-01T00:00:00.000Z", command: "optimas reproduce" };
  writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(stale));
  const notes: string[] = [];
  acquireDirLock(dir, { note: (l) => notes.push(l) }).release();
  assert.deepEqual(notes, [`recovered a stale lock in ${dir}: pid ${stale.pid} (optimas reproduce, since 2026-01-01T00:00:00.000Z) is gone`]);

  const foreign: LockHolder = { ...stale, hostname: "another-host" };
  writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(foreign));
  assert.throws(() => acquireDirLock(dir, { note: () => assert.fail("not stale") }), (err: unknown) => {
    assert.ok(err instanceof DirLockedError && err instanceof UsageError);
    assert.equal(err.message, `${dir} is in use by pid ${stale.pid} on host another-host (optimas reproduce, since 2026-01-01T00:00:00.000Z); wait for it to finish or stop it, then rerun (if that process is gone, delete ${path.join(dir, LOCK_FILE)})`);
    return true;
  });
  assert.deepEqual(JSON.parse(readFileSync(path.join(dir, LOCK_FILE), "utf8")), foreign, "left as it was");
});

test("within one process a directory is locked once; a lock file the tool did not write is an error naming it; keys never reach the lock", () => {
  const dir = tempDir();
  const lock = acquireDirLock(dir, { command: "optimize --api-key sk-abcdefghijklmnop --out x" });
  assert.equal(lockHolder(dir)!.command, "optimize --api-key *** --out x");
  assert.throws(() => acquireDirLock(dir), (err: unknown) => err instanceof DirLockedError && err.holder.pid === process.pid);
  lock.release();
  lock.release();
  const again = acquireDirLock(dir);
  again.release();

  writeFileSync(path.join(dir, LOCK_FILE), "garbage");
  assert.throws(() => acquireDirLock(dir), (err: unknown) => {
    assert.ok(err instanceof UsageError);
    assert.equal(err.message, `${path.join(dir, LOCK_FILE)}: not a lock file this tool wrote; delete it if no optimas process is using ${dir}, then rerun`);
    return true;
  });
});

test("a directory made only for the lock is removed again when nothing was written in it", () => {
  const parent = tempDir();
  const fresh = path.join(parent, "run");
  acquireDirLock(fresh).release();
  assert.ok(!existsSync(fresh));
  const used = path.join(parent, "used");
  const lock = acquireDirLock(used);
  writeFileSync(path.join(used, "config.json"), "{}");
  lock.release();
  assert.deepEqual(readdirSync(used), ["config.json"]);
  mkdirSync(path.join(parent, "existing"));
  acquireDirLock(path.join(parent, "existing")).release();
  assert.ok(existsSync(path.join(parent, "existing")), "a directory that existed before stays");
});
