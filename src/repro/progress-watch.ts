import * as fs from "node:fs";
import * as path from "node:path";
import { readJson } from "../core/files";
import type { RunProgress } from "../core/progress";
import { PROGRESS_FILE, type ProgressRecord } from "./optimize-job";
import type { RunCell } from "./plan";

/** A cell a suite has in flight, and where its run stands. */
export interface RunningCell {
  cell: RunCell;
  progress: RunProgress;
}

export const WATCH_INTERVAL_MS = 1000;

/**
 * The cells of a suite that are running now: those whose run wrote progress.json (optimize-job.ts)
 * since `since` (ms) and has not finished. Works whoever runs the cells (local workers, a queue's
 * workers on a shared folder), since it reads only the run directories.
 */
export class CellProgressReader {
  private readonly cache = new Map<string, { mtimeMs: number; record: ProgressRecord | null }>();

  constructor(
    private readonly cells: readonly RunCell[],
    private readonly since: number,
  ) {}

  running(finished: ReadonlySet<RunCell>): RunningCell[] {
    const out: RunningCell[] = [];
    for (const cell of this.cells) {
      if (finished.has(cell)) continue;
      const record = this.read(path.join(cell.dir, PROGRESS_FILE));
      if (record && record.phase !== "done") out.push({ cell, progress: { done: record.done, total: record.total, phase: record.phase } });
    }
    return out;
  }

  private read(file: string): ProgressRecord | null {
    let mtimeMs: number;
    try {
      mtimeMs = fs.statSync(file).mtimeMs;
    } catch {
      return null;
    }
    if (mtimeMs < this.since) return null;
    const cached = this.cache.get(file);
    if (cached?.mtimeMs === mtimeMs) return cached.record;
    let record: ProgressRecord | null;
    try {
      record = readJson<ProgressRecord>(file, "run progress");
    } catch {
      // Written atomically, so unreadable only while its directory is being removed: shown next time.
      record = null;
    }
    this.cache.set(file, { mtimeMs, record });
    return record;
  }
}
