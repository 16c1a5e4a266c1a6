import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as entry from "../src/notebook";
import { closePlotRenderer, showMarkdown, showPlot, showTable } from "../src/display/notebook";
import { pngUnavailable } from "../src/display/plot";

const root = path.resolve(__dirname, "..");
const ENTRY = "./src/notebook";

/** The code cells of every notebook, by file name. */
function notebookCode(): Map<string, string> {
  const dir = path.join(root, "notebooks");
  const out = new Map<string, string>();
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".ipynb")).sort()) {
    const nb = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as { cells: { cell_type: string; source: string | string[] }[] };
    out.set(f, nb.cells.filter((c) => c.cell_type === "code").map((c) => (Array.isArray(c.source) ? c.source.join("") : c.source)).join("\n"));
  }
  return out;
}

const IMPORT = /import\s+(type\s+)?\{([^}]*)\}\s+from\s+"([^"]+)"|import\s+[^;]*?from\s+"([^"]+)"|require\("([^"]+)"\)/g;

test("notebooks import the toolkit entry and nothing else", () => {
  const code = notebookCode();
  assert.ok(code.size > 0);
  for (const [nb, src] of code) {
    const specifiers = [...src.matchAll(IMPORT)].map((m) => m[3] ?? m[4] ?? m[5]);
    assert.ok(specifiers.length > 0, `${nb} imports nothing`);
    for (const s of specifiers) assert.equal(s, ENTRY, `${nb} imports "${s}"; notebooks import only "${ENTRY}"`);
  }
});

test("every name a notebook imports is exported by the entry, and every export is used by a notebook", () => {
  const code = notebookCode();
  const exported = new Set(Object.keys(entry));
  const imported = new Map<string, string[]>();
  for (const [nb, src] of code) {
    for (const m of src.matchAll(IMPORT)) {
      if (m[2] === undefined || m[1]) continue;
      for (const name of m[2].split(",").map((n) => n.trim().replace(/^type\s+/, "")).filter(Boolean)) {
        imported.set(name, [...(imported.get(name) ?? []), nb]);
      }
    }
  }
  for (const [name, nbs] of imported) assert.ok(exported.has(name), `${nbs.join(", ")} import "${name}", which src/notebook.ts does not export`);
  const stale = [...exported].filter((name) => !imported.has(name));
  assert.deepEqual(stale, [], `src/notebook.ts exports ${stale.join(", ")}, which no notebook uses: remove it or show it in a notebook`);
});

/** Runs `fn` with console.log captured. */
async function captureLog(fn: () => unknown): Promise<string> {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
  try {
    await fn();
  } finally {
    console.log = original;
  }
  return lines.join("\n");
}

const FIGURE = { data: [{ type: "bar", name: "optimas", x: ["a", "b"], y: [0.25, 0.75] }], layout: { title: { text: "A test figure" } } };

test("outside a kernel the display helpers print text (require('tslab') alone does not count as a kernel)", async () => {
  // tslab is installed, so require("tslab") succeeds here, yet its display would throw "Not ready".
  assert.doesNotThrow(() => require("tslab"));
  const out = await captureLog(async () => {
    showTable([{ method: "optimas", score: 0.5, accepted: true }]);
    showMarkdown("**bold**");
    await showPlot(FIGURE);
  });
  assert.match(out, /method\s+score\s+accepted/);
  assert.match(out, /optimas\s+0\.5000\s+true/);
  assert.match(out, /\*\*bold\*\*/);
  assert.match(out, /\[plot\] A test figure\n {2}optimas: 2 points, y 0\.250 … 0\.750/);
});

test("inside a kernel they send MIME bundles: HTML tables, Markdown, Plotly JSON with a PNG", { timeout: 120_000 }, async () => {
  const jupyter = require("tslab/dist/jupyter") as { lastWriteDisplayData: unknown };
  const sent: { data: Record<string, unknown> }[] = [];
  const saved = jupyter.lastWriteDisplayData;
  (globalThis as { __tslab__?: unknown }).__tslab__ = {};
  jupyter.lastWriteDisplayData = (message: { data: Record<string, unknown> }) => void sent.push(message);
  let printed: string;
  try {
    printed = await captureLog(async () => {
      showTable([{ method: "optimas", score: 0.5 }]);
      showMarkdown("**bold**");
      await showPlot(FIGURE);
      await showPlot(FIGURE); // a re-run draws the same, self-contained output
    });
  } finally {
    delete (globalThis as { __tslab__?: unknown }).__tslab__;
    jupyter.lastWriteDisplayData = saved;
    await closePlotRenderer();
  }
  assert.equal(printed, "", "nothing goes to stdout in a kernel");
  assert.equal(sent.length, 4);
  assert.match(String(sent[0]!.data["text/html"]), /<table>.*<td>optimas<\/td><td>0\.5000<\/td>/s);
  assert.equal(sent[1]!.data["text/markdown"], "**bold**");
  for (const plot of sent.slice(2)) {
    const fig = plot.data["application/vnd.plotly.v1+json"] as { data: unknown[] };
    assert.deepEqual(fig.data, FIGURE.data);
    assert.equal(plot.data["text/html"], undefined, "no script or bundle is loaded into the page");
    if (pngUnavailable() === null) assert.match(String(plot.data["image/png"]), /^iVBORw0KGgo/, "a PNG beside the interactive figure");
    else assert.match(String(plot.data["text/plain"]), /no static image: chromium not found/);
  }
  assert.deepEqual(sent[2]!.data, sent[3]!.data);
});
