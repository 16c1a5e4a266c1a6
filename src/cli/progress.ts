import { MultiBar, SingleBar, type Options } from "cli-progress";
import { WaitNotices, type LMClientEvent } from "../lm/events";
import type { ProgressListener, RunProgress } from "../core/progress";
import { cellLabel } from "../repro/plan";
import type { SuiteEvent } from "../repro/suite";

/**
 * The command line's progress displays, on cli-progress. On a terminal (stderr a TTY) they draw
 * bars with an ETA; lines that stay (a finished iteration, stage or cell, an endpoint's retries)
 * are printed above them. Without a terminal (logs, CI, pipes) there is no bar: one line per event.
 */

const isTty = () => Boolean(process.stderr.isTTY);

/** Fractional system runs to one decimal (k of n components cost k/n of a run). */
function formatValue(v: number, _options: Options, type: string): string {
  return (type === "value" || type === "total") && typeof v === "number" ? String(Number(v.toFixed(1))) : String(v);
}

/** "4m05s"; "?" until a rate is known (cli-progress reports INF/NULL then). */
function formatTime(t: number): string {
  if (typeof t !== "number" || !Number.isFinite(t)) return "?";
  const s = Math.round(t);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}

const BAR_OPTIONS: Options = { stream: process.stderr, barsize: 24, hideCursor: false, formatValue, formatTime, etaBuffer: 50, fps: 5, clearOnComplete: false };

/** One run, or one evaluation: a bar in system runs, with the phase and retries beside it. */
export class RunBar {
  private readonly tty = isTty();
  private bar: SingleBar | undefined;
  private phase = "";
  private retries = 0;
  private readonly notices = new WaitNotices((line) => this.log(`${this.label}: ${line}`));

  constructor(private readonly label: string) {}

  /** Model-endpoint retries and corrupt cache entries: rate-limited lines (lm/events.ts), and a count on the bar. */
  lmEvent(event: LMClientEvent): void {
    if (event.kind === "retry") this.retries++;
    this.notices.handle(event);
  }

  /** The listener of a run (repro/optimize-job.ts): its progress on the bar, its lines above it. */
  get listener(): ProgressListener {
    return (event) => (event.kind === "line" ? this.log(`${this.label}: ${event.line}`) : this.progress(event.progress));
  }

  progress(p: RunProgress): void {
    if (p.phase !== this.phase) {
      this.phase = p.phase;
      // A phase is an event: one line, with or without a terminal.
      if (p.phase !== "done") this.log(`${this.label}: ${p.phase} (at most ${Number((p.total - p.done).toFixed(1))} more system runs)`);
    }
    this.update(p.done, p.total);
  }

  update(done: number, total: number): void {
    if (!this.tty) return;
    const payload = { phase: this.phase ? ` | ${this.phase}` : "", retries: this.retries > 0 ? ` | ${this.retries} retr${this.retries === 1 ? "y" : "ies"}` : "" };
    if (!this.bar) {
      this.bar = new SingleBar({ ...BAR_OPTIONS, format: `${this.label} [{bar}] {value}/{total} system runs{phase} | ETA {eta_formatted} | {duration_formatted}{retries}` });
      this.bar.start(total, done, payload);
      return;
    }
    this.bar.setTotal(total);
    this.bar.update(done, payload);
  }

  /** A line that stays (above the bar on a terminal). */
  log(line: string): void {
    process.stderr.write(`${this.tty ? "\r\x1b[2K" : ""}${line}\n`);
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}

/** A suite: one bar of cells (finished plus the running cells' fractions) and a bar per running cell. */
export class SuiteBars {
  private readonly tty = isTty();
  private readonly multi: MultiBar | undefined;
  private overall: SingleBar | undefined;
  private readonly cells = new Map<string, SingleBar>();

  constructor(private readonly label: string) {
    this.multi = this.tty ? new MultiBar({ ...BAR_OPTIONS, format: `{label} [{bar}] {value}/{total} {unit} | ETA {eta_formatted} | {duration_formatted}` }) : undefined;
  }

  /** A line that stays, above the bars on a terminal. */
  log(line: string): void {
    if (this.multi) this.multi.log(`${line}\n`);
    else process.stderr.write(`${line}\n`);
  }

  /** Suite events as lines (plan, each finished cell) and bars (progress). */
  handle(event: SuiteEvent, line: string | null): void {
    if (line !== null) this.log(line);
    if (!this.multi) return;
    if (event.kind === "plan") {
      this.overall = this.multi.create(event.toRun, 0, { label: this.label, unit: "cells" });
      return;
    }
    if (event.kind === "run") {
      const bar = this.cells.get(cellLabel(event.cell));
      if (bar) this.multi.remove(bar);
      this.cells.delete(cellLabel(event.cell));
      this.overall?.update(event.done);
      return;
    }
    const live = new Set(event.running.map((r) => cellLabel(r.cell)));
    for (const [key, bar] of this.cells) {
      if (live.has(key)) continue;
      this.multi.remove(bar);
      this.cells.delete(key);
    }
    for (const { cell, progress } of event.running) {
      const key = cellLabel(cell);
      const payload = { label: `  ${key}`, unit: `system runs | ${progress.phase}` };
      const bar = this.cells.get(key);
      if (bar) {
        bar.setTotal(progress.total);
        bar.update(progress.done, payload);
      } else {
        this.cells.set(key, this.multi.create(progress.total, progress.done, payload));
      }
    }
    // The suite's bar counts finished cells and the running cells' shares, so its ETA moves while they run.
    this.overall?.update(event.done + event.running.reduce((n, r) => n + r.progress.done / Math.max(r.progress.total, 1e-9), 0));
  }

  stop(): void {
    this.multi?.stop();
  }
}
