import * as fs from "node:fs";
import * as path from "node:path";
import { writeFileAtomic } from "../core/files";

/** A Plotly figure as plain data (what Plotly.newPlot takes). */
export interface Figure {
  data: Record<string, unknown>[];
  layout?: Record<string, unknown>;
}

let plotlySource: string | undefined;

/** The plotly.js-dist-min bundle, safe to inline inside a <script> element. */
export function plotlyBundle(): string {
  plotlySource ??= fs.readFileSync(require.resolve("plotly.js-dist-min"), "utf8").replace(/<\/script/gi, "<\\/script");
  return plotlySource;
}

function plotCall(divId: string, fig: Figure, markReady: boolean): string {
  const json = JSON.stringify({ data: fig.data, layout: fig.layout ?? {} }).replace(/<\//g, "<\\/");
  const ready = markReady ? `.then(function(){document.body.dataset.ready="1";})` : "";
  return `(function(){var f=${json};Plotly.newPlot(${JSON.stringify(divId)},f.data,f.layout,{responsive:true})${ready};})();`;
}

/**
 * A fragment that draws `fig` where Plotly is already loaded (a notebook after `plotlyLoader()`,
 * or a page that inlines the bundle once).
 */
export function plotFragment(fig: Figure, divId: string, height = 420): string {
  return `<div id="${divId}" style="width:100%;height:${height}px"></div><script>${plotCall(divId, fig, false)}</script>`;
}

/** The one-time script that loads Plotly into a notebook page. */
export function plotlyLoader(): string {
  return `<script>${plotlyBundle()}</script>`;
}

/** A self-contained HTML page (no network needed) with one or more figures. */
export function standaloneHtml(title: string, figs: readonly Figure[]): string {
  const divs = figs.map((_, i) => `<div id="fig${i}" style="width:960px;height:480px"></div>`).join("\n");
  const calls = figs.map((f, i) => plotCall(`fig${i}`, f, i === figs.length - 1)).join("\n");
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title.replace(/</g, "&lt;")}</title></head><body>\n${divs}\n<script>${plotlyBundle()}</script>\n<script>${calls}</script></body></html>`;
}

export function writeHtml(file: string, title: string, figs: readonly Figure[]): void {
  writeFileAtomic(file, standaloneHtml(title, figs));
}

export const CHROMIUM_PATH = process.env.OPTIMAS_CHROMIUM ?? "/usr/bin/chromium";

/**
 * Renders figures to PNG files with headless chromium (Debian package) through playwright-core.
 * Returns null, with the reason, when chromium is not installed, so callers can print a notice.
 */
export async function renderPngs(jobs: readonly { file: string; fig: Figure }[], size = { width: 960, height: 480 }): Promise<{ written: string[] } | { skipped: string }> {
  if (!fs.existsSync(CHROMIUM_PATH)) return { skipped: `chromium not found at ${CHROMIUM_PATH} (apt-get install chromium, or set OPTIMAS_CHROMIUM)` };
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
  const written: string[] = [];
  try {
    const page = await browser.newPage();
    await page.setContent(`<!doctype html><html><body><div id="plot" style="width:${size.width}px;height:${size.height}px"></div></body></html>`);
    await page.addScriptTag({ content: plotlyBundle() });
    for (const job of jobs) {
      const dataUrl = await page.evaluate(
        async ({ fig, size }) => {
          const P = (globalThis as unknown as { Plotly: { newPlot: Function; toImage: Function } }).Plotly;
          await P.newPlot("plot", fig.data, fig.layout ?? {});
          return (await P.toImage("plot", { format: "png", width: size.width, height: size.height, scale: 1 })) as string;
        },
        { fig: job.fig, size },
      );
      fs.mkdirSync(path.dirname(job.file), { recursive: true });
      fs.writeFileSync(job.file, Buffer.from(dataUrl.split(",")[1]!, "base64"));
      written.push(job.file);
    }
  } finally {
    await browser.close();
  }
  return { written };
}
