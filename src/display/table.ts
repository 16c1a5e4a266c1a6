/** Plain tables for terminals, Markdown files and notebooks. */

export type Cell = string | number | null | undefined;
export type Row = Record<string, Cell>;

function text(cell: Cell, digits: number): string {
  if (cell === null || cell === undefined) return "n/a";
  if (typeof cell === "number") return Number.isInteger(cell) ? String(cell) : cell.toFixed(digits);
  return cell;
}

function columnsOf(rows: readonly Row[], columns?: readonly string[]): string[] {
  return columns ? [...columns] : [...new Set(rows.flatMap((r) => Object.keys(r)))];
}

export function markdownTable(rows: readonly Row[], columns?: readonly string[], digits = 4): string {
  const cols = columnsOf(rows, columns);
  const escape = (s: string) => s.replace(/\|/g, "\\|");
  const lines = [`| ${cols.map(escape).join(" | ")} |`, `|${cols.map(() => "---").join("|")}|`];
  for (const r of rows) lines.push(`| ${cols.map((c) => escape(text(r[c], digits))).join(" | ")} |`);
  return lines.join("\n");
}

/** Aligned monospace table for the terminal. */
export function textTable(rows: readonly Row[], columns?: readonly string[], digits = 4): string {
  const cols = columnsOf(rows, columns);
  const cells = rows.map((r) => cols.map((c) => text(r[c], digits)));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(cols), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

export function htmlTable(rows: readonly Row[], columns?: readonly string[], digits = 4): string {
  const cols = columnsOf(rows, columns);
  const head = cols.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = rows.map((r) => `<tr>${cols.map((c) => `<td>${escapeHtml(text(r[c], digits))}</td>`).join("")}</tr>`).join("");
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}
