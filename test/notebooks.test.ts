import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

// Executes every notebook headless with Debian's Jupyter and the tslab kernel; any cell error fails.
const root = path.resolve(__dirname, "..");
const python = "/usr/bin/python3";
const env = {
  ...process.env,
  PATH: `${path.join(root, "node_modules", ".bin")}:${process.env.PATH}`,
  JUPYTER_PATH: path.join(root, ".jupyter", "share", "jupyter"),
  PYDEVD_DISABLE_FILE_VALIDATION: "1",
};

function ensureKernel(): void {
  const probe = spawnSync(python, ["-c", "import nbclient, nbformat, ipykernel"], { encoding: "utf8" });
  assert.equal(probe.status, 0, `Jupyter is missing: apt-get install jupyter-nbconvert python3-nbclient python3-ipykernel (or run bash .ci/run)\n${probe.stderr}`);
  if (!fs.existsSync(path.join(env.JUPYTER_PATH, "kernels", "tslab", "kernel.json"))) {
    const install = spawnSync("npm", ["run", "-s", "nb:kernel"], { cwd: root, env, encoding: "utf8" });
    assert.equal(install.status, 0, `registering the tslab kernel failed:\n${install.stderr}`);
  }
}

const notebooks = fs.readdirSync(path.join(root, "notebooks")).filter((f) => f.endsWith(".ipynb")).sort();

test("there is at least the quickstart notebook", () => {
  assert.ok(notebooks.includes("00-quickstart.ipynb"), `notebooks/: ${notebooks.join(", ")}`);
});

for (const nb of notebooks) {
  test(`notebook ${nb} runs headless without a cell error`, { timeout: 600_000 }, () => {
    ensureKernel();
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "nb-")), nb);
    const run = spawnSync(python, [path.join(root, "scripts", "run_notebook.py"), path.join("notebooks", nb), out, "600"], { cwd: root, env, encoding: "utf8" });
    assert.equal(run.status, 0, `${nb} failed:\n${run.stderr.slice(-4000)}`);
    const executed = JSON.parse(fs.readFileSync(out, "utf8")) as { cells: { cell_type: string; outputs?: { output_type: string; name?: string; text?: string | string[] }[] }[] };
    const codeCells = executed.cells.filter((c) => c.cell_type === "code");
    assert.ok(codeCells.length > 0);
    for (const cell of codeCells) {
      for (const o of cell.outputs ?? []) {
        assert.notEqual(o.output_type, "error", `${nb}: a cell raised an error`);
        const text = Array.isArray(o.text) ? o.text.join("") : (o.text ?? "");
        assert.doesNotMatch(text, /sk-[A-Za-z0-9]{20,}/, `${nb}: output looks like it contains an API key`);
      }
    }
  });
}
