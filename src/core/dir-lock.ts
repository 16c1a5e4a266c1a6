import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { UsageError } from "./failure";

/**
 * One writer per directory (a run directory, a suite's results directory): `acquireDirLock`
 * creates `optimas.lock` exclusively, holding the writer's pid, host, start time and command.
 * A second writer stops at once with a line naming the holder. A lock whose holder is dead on
 * this host is stale: it is recovered with a note. Locks are released on exit, on an error that
 * ends the process, and on SIGINT/SIGTERM.
 *
 * Hand-written rather than `proper-lockfile`: that library decides staleness by an mtime it
 * refreshes on a timer, and a run blocks its event loop for long synchronous stretches (SimLM,
 * tfjs), so a busy holder would look stale and lose its lock; it also records no holder to name.
 */

export const LOCK_FILE = "optimas.lock";

export interface LockHolder {
  pid: number;
  hostname: string;
  /** ISO time the holder took the lock. */
  started: string;
  command: string;
}

export class DirLockedError extends UsageError {
  constructor(
    readonly lockFile: string,
    readonly holder: LockHolder,
  ) {
    const where = holder.hostname === os.hostname() ? "" : ` on host ${holder.hostname}`;
    super(
      `${path.dirname(lockFile)} is in use by pid ${holder.pid}${where} (${holder.command}, since ${holder.started}); wait for it to finish or stop it, then rerun` +
        (where ? ` (if that process is gone, delete ${lockFile})` : ""),
    );
    this.name = "DirLockedError";
  }
}

export interface DirLock {
  readonly file: string;
  readonly holder: LockHolder;
  /** Removes the lock file if it is still this holder's; idempotent. */
  release(): void;
}

const held = new Set<DirLock>();

export interface AcquireOptions {
  /** What the holder runs, for the other writer's message (default: this process's arguments). */
  command?: string;
  /** Where the stale-lock note goes (default: stderr). */
  note?: (line: string) => void;
}

export function acquireDirLock(dir: string, options: AcquireOptions = {}): DirLock {
  // A directory made only for the lock goes again if nothing was written (a run refused at its start).
  const createdDir = fs.mkdirSync(dir, { recursive: true }) !== undefined;
  const file = path.join(dir, LOCK_FILE);
  const holder: LockHolder = { pid: process.pid, hostname: os.hostname(), started: new Date().toISOString(), command: redactSecrets(options.command ?? defaultCommand()) };
  const note = options.note ?? ((line: string) => process.stderr.write(`optimas: ${line}\n`));
  // Two rounds: the second follows the removal of a stale lock (a live holder ends the loop by throwing).
  for (let attempt = 0; attempt < 2; attempt++) {
    if (createExclusive(file, holder)) {
      const lock: DirLock = { file, holder, release: () => release(lock, createdDir) };
      if (held.size === 0) installReleaseHooks();
      held.add(lock);
      return lock;
    }
    const current = readHolder(file);
    if (current === undefined) continue; // released between our attempt and the read
    if (!isStale(current)) throw new DirLockedError(file, current);
    if (removeIfHeldBy(file, current)) note(`recovered a stale lock in ${dir}: pid ${current.pid} (${current.command}, since ${current.started}) is gone`);
  }
  const current = readHolder(file);
  if (current) throw new DirLockedError(file, current);
  throw new UsageError(`${file}: could not take the lock (another process keeps replacing it); stop the other writers, then rerun`);
}

/** Runs `fn` holding `dir`'s lock, released however `fn` ends. */
export async function withDirLock<T>(dir: string, fn: () => Promise<T>, options: AcquireOptions = {}): Promise<T> {
  const lock = acquireDirLock(dir, options);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

/** Removes `dir`'s lock when its holder is dead on this host, silently (a worker its parent killed); returns that holder. */
export function clearStaleLock(dir: string): LockHolder | undefined {
  const file = path.join(dir, LOCK_FILE);
  const current = readHolder(file);
  return current && isStale(current) && removeIfHeldBy(file, current) ? current : undefined;
}

/** The holder recorded in `dir`'s lock, if any. */
export function lockHolder(dir: string): LockHolder | undefined {
  return readHolder(path.join(dir, LOCK_FILE));
}

/**
 * Writes the holder to a private file, then links it to the lock name: link(2) fails with EEXIST
 * exactly like open(O_CREAT|O_EXCL), and the lock appears with its content complete, so a
 * reader never sees a half-written holder.
 */
function createExclusive(file: string, holder: LockHolder): boolean {
  const draft = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(draft, `${JSON.stringify(holder)}\n`, { flag: "wx" });
  try {
    fs.linkSync(draft, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  } finally {
    fs.rmSync(draft, { force: true });
  }
}

function readHolder(file: string): LockHolder | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    if (typeof h.pid === "number" && typeof h.hostname === "string") return { pid: h.pid, hostname: h.hostname, started: String(h.started), command: String(h.command) };
  } catch {
    // fall through: not a lock this project wrote
  }
  throw new UsageError(`${file}: not a lock file this tool wrote; delete it if no optimas process is using ${path.dirname(file)}, then rerun`);
}

/** A holder is stale when it ran on this host and its process is gone. */
function isStale(holder: LockHolder): boolean {
  if (holder.hostname !== os.hostname()) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

const sameHolder = (a: LockHolder, b: LockHolder | undefined) => b !== undefined && a.pid === b.pid && a.hostname === b.hostname && a.started === b.started;

/**
 * Removes the lock only if it still holds `holder`: it is first renamed aside (atomic), and a lock
 * another process took in the meantime is put back instead of deleted.
 */
function removeIfHeldBy(file: string, holder: LockHolder): boolean {
  const aside = `${file}.${process.pid}.${Date.now()}.removed`;
  try {
    fs.renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
  let moved: LockHolder | undefined;
  try {
    moved = readHolder(aside);
  } catch {
    moved = undefined;
  }
  if (!sameHolder(holder, moved)) {
    try {
      fs.linkSync(aside, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
  fs.rmSync(aside, { force: true });
  return sameHolder(holder, moved);
}

function release(lock: DirLock, removeEmptyDir: boolean): void {
  if (!held.delete(lock)) return;
  if (held.size === 0) removeReleaseHooks();
  try {
    if (sameHolder(lock.holder, readHolder(lock.file))) removeIfHeldBy(lock.file, lock.holder);
    if (removeEmptyDir && fs.readdirSync(path.dirname(lock.file)).length === 0) fs.rmdirSync(path.dirname(lock.file));
  } catch {
    // The directory was removed or the lock replaced by hand: nothing of ours is left to release.
  }
}

function releaseAll(): void {
  [...held].forEach((lock) => lock.release());
}

const SIGNALS = ["SIGINT", "SIGTERM"] as const;

/**
 * On a signal nobody else handles, release and exit as an unhandled signal would (128 + its
 * number, 130 for Ctrl-C); when the command handles it (reproduce stops its workers), it exits in
 * its own time and 'exit' releases.
 */
function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  releaseAll();
  process.exit(128 + os.constants.signals[signal]);
}

function installReleaseHooks(): void {
  process.on("exit", releaseAll);
  // First in line, so a command's `once` handler still counts when onSignal looks (it is removed as it runs).
  for (const s of SIGNALS) process.prependListener(s, onSignal);
}

function removeReleaseHooks(): void {
  process.off("exit", releaseAll);
  for (const s of SIGNALS) process.off(s, onSignal);
}

function defaultCommand(): string {
  return [path.basename(process.argv[1] ?? process.argv0), ...process.argv.slice(2)].join(" ");
}

/** Commands are written into the lock: keep keys out of it (the project's rule for run directories). */
function redactSecrets(command: string): string {
  return command.replace(/(--[\w-]*(?:key|token|secret|password)[\w-]*)(=|\s+)\S+/gi, "$1$2***").replace(/\bsk-[\w-]{8,}/g, "sk-***");
}
