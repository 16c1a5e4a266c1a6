import { htmlTable, type Row } from "./table";
import { plotFragment, plotlyLoader, type Figure } from "./plot";
import type { EvalResult } from "../core/system";

/**
 * Notebook output helpers. Inside a tslab kernel they display rich HTML; elsewhere (scripts,
 * tests) they print plain text, so the same notebook code runs in both.
 */

interface TslabDisplay {
  html(s: string): void;
  markdown(s: string): void;
}

function tslabDisplay(): TslabDisplay | undefined {
  try {
    // Only a running tslab kernel makes `display` usable; outside it the require fails or throws.
    const tslab = require("tslab") as { display: TslabDisplay };
    return tslab.display;
  } catch {
    return undefined;
  }
}

let plotlyLoaded = false;
let figureCounter = 0;

export function showTable(rows: readonly Row[], columns?: readonly string[]): void {
  const d = tslabDisplay();
  if (d) d.html(htmlTable(rows, columns));
  else console.table(rows);
}

export function showPlot(fig: Figure, height = 420): void {
  const d = tslabDisplay();
  if (!d) {
    console.log(`[plot] ${String((fig.layout?.title as { text?: string } | undefined)?.text ?? "figure")} (${fig.data.length} traces)`);
    return;
  }
  // Inline the 4.8 MB bundle once per kernel session, then only small newPlot snippets.
  const loader = plotlyLoaded ? "" : plotlyLoader();
  plotlyLoaded = true;
  d.html(loader + plotFragment(fig, `optimas-fig-${++figureCounter}`, height));
}

export function showMarkdown(md: string): void {
  const d = tslabDisplay();
  if (d) d.markdown(md);
  else console.log(md);
}

/** One evaluation as a small summary row. */
export function evalSummaryRow(label: string, r: EvalResult): Row {
  return { run: label, mean: r.mean, std: r.std, ci95: r.ci95, n: r.n, repeats: r.repeats, failures: r.failures };
}
