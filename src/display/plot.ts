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

/** What a standalone page holds, in order: HTML (headings, text, links) or a figure. */
export type PagePart = { html: string } | { fig: Figure };

const PAGE_STYLE = "body{font-family:system-ui,sans-serif;max-width:1000px;margin:1.5em auto;padding:0 1em;line-height:1.45;color:#222}h2{margin-top:2em;border-bottom:1px solid #ddd}.headline{background:#fdf1f1;border-left:4px solid #d62728;padding:.6em 1em}";

/** A self-contained HTML page (no network needed): figures, with HTML between them. */
export function standaloneHtml(title: string, parts: readonly PagePart[]): string {
  const figs = parts.flatMap((p) => ("fig" in p ? [p.fig] : []));
  let next = 0;
  const body = parts.map((p) => ("fig" in p ? `<div id="fig${next++}" style="width:960px;height:480px"></div>` : p.html)).join("\n");
  const calls = figs.map((f, i) => plotCall(`fig${i}`, f, i === figs.length - 1)).join("\n");
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title.replace(/</g, "&lt;")}</title><style>${PAGE_STYLE}</style></head><body>\n${body}\n<script>${plotlyBundle()}</script>\n<script>${calls}</script></body></html>`;
}

export function writeHtml(file: string, title: string, parts: readonly PagePart[]): void {
  writeFileAtomic(file, standaloneHtml(title, parts));
}

export const CHROMIUM_PATH = process.env.OPTIMAS_CHROMIUM ?? "/usr/bin/chromium";

/** Why figures cannot be rendered to PNG here, or null when chromium is installed. */
export function pngUnavailable(): string | null {
  return fs.existsSync(CHROMIUM_PATH) ? null : `chromium not found at ${CHROMIUM_PATH} (apt-get install chromium, or set OPTIMAS_CHROMIUM)`;
}

type Browser = Awaited<ReturnType<typeof import("playwright-core")["chromium"]["launch"]>>;
type Page = Awaited<ReturnType<Browser["newPage"]>>;

/**
 * Renders Plotly figures to PNG with headless chromium (Debian package) through playwright-core:
 * one browser and one page with Plotly loaded, reused for every figure until `close()`.
 */
export class PngRenderer {
  private opened: Promise<{ browser: Browser; page: Page }> | undefined;

  private open(): Promise<{ browser: Browser; page: Page }> {
    this.opened ??= (async () => {
      const { chromium } = await import("playwright-core");
      const browser = await chromium.launch({
        executablePath: CHROMIUM_PATH,
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
      });
      const page = await browser.newPage();
      await page.setContent(`<!doctype html><html><body><div id="plot"></div></body></html>`);
      await page.addScriptTag({ content: plotlyBundle() });
      return { browser, page };
    })();
    return this.opened;
  }

  async render(fig: Figure, size = { width: 960, height: 480 }): Promise<Buffer> {
    const { page } = await this.open();
    const dataUrl = await page.evaluate(
      async ({ fig, size }) => {
        const P = (globalThis as unknown as { Plotly: { newPlot: Function; toImage: Function } }).Plotly;
        await P.newPlot("plot", fig.data, { ...(fig.layout ?? {}), width: size.width, height: size.height });
        return (await P.toImage("plot", { format: "png", width: size.width, height: size.height, scale: 1 })) as string;
      },
      { fig, size },
    );
    return Buffer.from(dataUrl.split(",")[1]!, "base64");
  }

  async close(): Promise<void> {
    const opened = this.opened;
    this.opened = undefined;
    if (opened) await (await opened).browser.close();
  }
}

/**
 * Renders figures to PNG files. Returns the reason instead when chromium is not installed, so
 * callers can print a notice.
 */
export async function renderPngs(jobs: readonly { file: string; fig: Figure }[], size = { width: 960, height: 480 }): Promise<{ written: string[] } | { skipped: string }> {
  const missing = pngUnavailable();
  if (missing) return { skipped: missing };
  const renderer = new PngRenderer();
  const written: string[] = [];
  try {
    for (const job of jobs) {
      const png = await renderer.render(job.fig, size);
      fs.mkdirSync(path.dirname(job.file), { recursive: true });
      fs.writeFileSync(job.file, png);
      written.push(job.file);
    }
  } finally {
    await renderer.close();
  }
  return { written };
}
