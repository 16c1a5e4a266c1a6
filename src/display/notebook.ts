import { htmlTable, textTable, type Cell, type Row } from "./table";
import { PngRenderer, pngUnavailable, type Figure } from "./plot";

/**
 * Notebook output helpers. Inside a running tslab kernel they send rich outputs (HTML tables,
 * Markdown, Plotly figures with a PNG beside them); anywhere else (a script, a test) they print
 * plain text, so the same code runs in both.
 */

/** One Jupyter display_data message: a value per MIME type, the front end shows the richest it can. */
type MimeBundle = Record<string, unknown>;
type WriteDisplayData = (message: { data: MimeBundle; metadata: Record<string, unknown>; transient?: { display_id: string } }, update: boolean) => void;

/**
 * The running kernel's display channel, or undefined outside one. tslab sets `globalThis.__tslab__`
 * before it runs a cell; under plain node or tsx `require("tslab")` succeeds too (it is a
 * devDependency) but its display throws "Not ready", so the package alone says nothing.
 * `lastWriteDisplayData` is what tslab's own `display.raw` writes through (tslab 1.0.22, pinned);
 * it takes a whole bundle, where `display.raw` sends one MIME type per output.
 */
function kernelWrite(): WriteDisplayData | undefined {
  if ((globalThis as { __tslab__?: unknown }).__tslab__ === undefined) return undefined;
  const jupyter = require("tslab/dist/jupyter") as { lastWriteDisplayData?: WriteDisplayData | null };
  return jupyter.lastWriteDisplayData ?? undefined;
}

function kernelDisplay(): ((bundle: MimeBundle) => void) | undefined {
  const write = kernelWrite();
  return write ? (bundle) => write({ data: bundle, metadata: {} }, false) : undefined;
}

let liveLines = 0;

/**
 * A line of text the cell shows and then updates in place (progress), or undefined outside a
 * kernel, where callers print their lines instead.
 */
export function liveLine(): ((text: string) => void) | undefined {
  const write = kernelWrite();
  if (!write) return undefined;
  const id = `optimas-live-${++liveLines}`;
  let shown = false;
  return (text) => {
    write({ data: { "text/plain": text }, metadata: {}, transient: { display_id: id } }, shown);
    shown = true;
  };
}

/** Rows of plain objects, or anything with `objects()` giving them (an arquero table). */
export type TableLike = readonly object[] | { objects(): object[] };

function cellOf(value: unknown): Cell {
  if (typeof value === "number" || typeof value === "string") return value;
  if (value === null || value === undefined) return null;
  return typeof value === "boolean" ? String(value) : JSON.stringify(value);
}

function rowsOf(table: TableLike): Row[] {
  const objects = "objects" in table ? table.objects() : table;
  return objects.map((o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, cellOf(v)])));
}

export function showTable(table: TableLike, columns?: readonly string[]): void {
  const rows = rowsOf(table);
  const text = textTable(rows, columns);
  const display = kernelDisplay();
  if (display) display({ "text/html": htmlTable(rows, columns), "text/plain": text });
  else console.log(text);
}

export function showMarkdown(md: string): void {
  const display = kernelDisplay();
  if (display) display({ "text/markdown": md, "text/plain": md });
  else console.log(md);
}

/** What a figure is, in one line per trace: the text output of a plot. */
export function plotSummary(fig: Figure): string {
  const title = String((fig.layout?.title as { text?: string } | undefined)?.text ?? "figure").replace(/<br>.*$/s, "");
  const traces = fig.data.map((t) => {
    const ys = ((t.y as (number | null)[] | undefined) ?? []).filter((y): y is number => typeof y === "number");
    const range = ys.length > 0 ? `, y ${Math.min(...ys).toFixed(3)} … ${Math.max(...ys).toFixed(3)}` : "";
    return `  ${String(t.name ?? t.type ?? "trace")}: ${ys.length} points${range}`;
  });
  return [`[plot] ${title}`, ...traces].join("\n");
}

// One browser per kernel, closed when no plot was drawn for a minute (a cell run later opens it again).
const IDLE_CLOSE_MS = 60_000;
let renderer: PngRenderer | undefined;
let idleTimer: NodeJS.Timeout | undefined;

async function pngOf(fig: Figure, size: { width: number; height: number }): Promise<string | undefined> {
  if (pngUnavailable()) return undefined;
  renderer ??= new PngRenderer();
  if (idleTimer) clearTimeout(idleTimer);
  const png = await renderer.render(fig, size);
  const current = renderer;
  idleTimer = setTimeout(() => {
    if (renderer === current) renderer = undefined;
    void current.close();
  }, IDLE_CLOSE_MS).unref();
  return png.toString("base64");
}

/** Closes the PNG renderer's browser now (a kernel leaves it to the idle timer). */
export async function closePlotRenderer(): Promise<void> {
  if (idleTimer) clearTimeout(idleTimer);
  const current = renderer;
  renderer = undefined;
  await current?.close();
}

/**
 * Shows a Plotly figure. In a kernel: one output holding the figure as
 * `application/vnd.plotly.v1+json` (interactive in JupyterLab, VS Code and nteract), a PNG rendered
 * by headless chromium (what the classic notebook, nbviewer and GitHub show; absent without
 * chromium) and a text summary. Nothing is loaded into the page, so a re-run cell and a saved
 * notebook draw the same. Elsewhere it prints the text summary.
 */
export async function showPlot(fig: Figure, size = { width: 960, height: 480 }): Promise<void> {
  const display = kernelDisplay();
  const text = plotSummary(fig);
  if (!display) {
    console.log(text);
    return;
  }
  const png = await pngOf(fig, size);
  display({
    "application/vnd.plotly.v1+json": { data: fig.data, layout: { ...(fig.layout ?? {}), height: size.height } },
    ...(png && { "image/png": png }),
    "text/plain": png ? text : `${text}\n(no static image: ${pngUnavailable()})`,
  });
}
