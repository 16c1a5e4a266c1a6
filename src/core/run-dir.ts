import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { readJson, writeFileAtomic, writeJsonAtomic } from "./files";

/**
 * The files of one optimization run. Everything is rewritten atomically after every iteration,
 * so a run killed at any moment resumes from its last finished iteration.
 *
 *   config.json        method, system, seeds, world, backend, full OptimasConfig
 *   checkpoint.json    loop state: next iteration, best score, replay buffers, history, budget
 *   system-state.json  the best system state dict so far
 *   lrf.json           the Local Reward Function's weights
 *   result.json        final summary (only when the run finished)
 *   trajectory.csv     one row per step in every method's schema (core/trajectory.ts)
 *   progress.json      where the run stands in system runs (core/progress.ts; repro/optimize-job.ts writes it)
 *   incumbents/        each accepted state, by incumbent id (test-scored at budget caps)
 *   STOP               create this file to stop the run after the current iteration
 *   optimas.lock       the one writer's pid, host, start time and command (core/dir-lock.ts)
 *
 * A file that must match the checkpoint (the LRF) is written in two steps around it, so a kill
 * between the writes cannot pair a newer file with an older checkpoint: `writePending` writes
 * `<name>.pending` and returns its SHA-256, the checkpoint records that hash (the commit), and
 * `commitPending` renames the file into place. `settlePending` finishes or discards an
 * interrupted commit when the run resumes.
 */
export class RunDir {
  /** Checks that run before every write; a suite worker adds one that exits once its parent is gone. */
  private static readonly writeChecks: (() => void)[] = [];

  static checkBeforeWrites(check: () => void): void {
    RunDir.writeChecks.push(check);
  }

  private static beforeWrite(): void {
    for (const check of RunDir.writeChecks) check();
  }

  constructor(readonly root: string) {}

  file(name: string): string {
    return path.join(this.root, name);
  }

  exists(name: string): boolean {
    return fs.existsSync(this.file(name));
  }

  write(name: string, value: unknown): void {
    RunDir.beforeWrite();
    writeJsonAtomic(this.file(name), value);
  }

  /** Writes a text file (a CSV) atomically. */
  writeText(name: string, text: string): void {
    RunDir.beforeWrite();
    writeFileAtomic(this.file(name), text);
  }

  read<T>(name: string, what: string): T {
    return readJson<T>(this.file(name), what);
  }

  /** Writes `<name>.pending`; returns the SHA-256 of its text for the checkpoint to record. */
  writePending(name: string, value: unknown): string {
    const text = `${JSON.stringify(value, null, 1)}\n`;
    RunDir.beforeWrite();
    writeFileAtomic(this.file(`${name}.pending`), text);
    return sha256(text);
  }

  commitPending(name: string): void {
    RunDir.beforeWrite();
    fs.renameSync(this.file(`${name}.pending`), this.file(name));
  }

  /**
   * After a kill: a pending file whose hash the checkpoint recorded is committed, any other is
   * discarded; then `name` must hold what the checkpoint recorded (checkpoints without a hash,
   * from before this protocol, are trusted).
   */
  settlePending(name: string, committedSha256: string | undefined, what: string): void {
    const pending = this.file(`${name}.pending`);
    if (fs.existsSync(pending)) {
      if (committedSha256 !== undefined && sha256(fs.readFileSync(pending, "utf8")) === committedSha256) this.commitPending(name);
      else fs.rmSync(pending);
    }
    if (committedSha256 !== undefined && (!this.exists(name) || sha256(fs.readFileSync(this.file(name), "utf8")) !== committedSha256)) {
      throw new Error(`${this.file(name)}: the ${what} does not match checkpoint.json (the run directory was altered); restore it or start a new run with a new --out`);
    }
  }

  stopRequested(): boolean {
    return this.exists("STOP");
  }

  /** Withdraws a stop request; says whether there was one. */
  clearStop(): boolean {
    if (!this.stopRequested()) return false;
    fs.rmSync(this.file("STOP"));
    return true;
  }
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
