/** How commands print: human lines on stderr-free stdout, and with --json one JSON object last. */
import { WaitNotices, type LMClientEvent } from "../lm/events";

export function printJsonLast(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** A one-line progress display on a terminal; silent when stdout is not a TTY (logs, CI, --json pipes). */
export class Progress {
  private readonly tty = Boolean(process.stderr.isTTY);
  private lastDraw = 0;
  private retries = 0;
  private readonly notices = new WaitNotices((line) => this.log(`${this.label}: ${line}`));
  constructor(private readonly label: string) {}

  /** Model-endpoint retries and corrupt cache entries: rate-limited lines (lm/events.ts), with or without a terminal, and a count on the bar. */
  lmEvent(event: LMClientEvent): void {
    if (event.kind === "retry") this.retries++;
    this.notices.handle(event);
  }

  update(done: number, total: number, note = ""): void {
    if (!this.tty) return;
    if (this.retries > 0) note = `${note} (${this.retries} retr${this.retries === 1 ? "y" : "ies"})`.trim();
    const now = Date.now();
    if (done < total && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const width = 24;
    const filled = Math.round((done / Math.max(total, 1)) * width);
    process.stderr.write(`\r${this.label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} ${note}`.padEnd(100));
    if (done >= total) process.stderr.write("\n");
  }

  /** Writes a line that stays (a finished stage), even without a terminal. */
  log(line: string): void {
    process.stderr.write(`${this.tty ? "\r" : ""}${line}\n`);
  }
}
