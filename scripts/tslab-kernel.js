#!/usr/bin/env node
// The project's Jupyter kernel: tslab, started in the repository root.
//
//   node scripts/tslab-kernel.js install   writes .jupyter/share/jupyter/kernels/tslab/kernel.json
//   node scripts/tslab-kernel.js kernel --config-path FILE   (what Jupyter runs)
//
// tslab compiles cells with rootDir = the kernel's working directory, so a notebook in notebooks/
// (where Jupyter, nbconvert and VS Code start its kernel) cannot import ../src: TypeScript refuses
// files outside rootDir. This kernel changes to the repository root before tslab starts, so every
// notebook imports `./src/notebook`, wherever Jupyter was started. kernel.json names node and this
// file by absolute path, so the kernel needs nothing on PATH.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const [command, ...rest] = process.argv.slice(2);

if (command === "install") {
  const dir = path.join(root, ".jupyter", "share", "jupyter", "kernels", "tslab");
  fs.mkdirSync(dir, { recursive: true });
  const spec = {
    argv: [process.execPath, __filename, "kernel", "--config-path", "{connection_file}"],
    display_name: "TypeScript (optimas-ts)",
    language: "typescript",
  };
  fs.writeFileSync(path.join(dir, "kernel.json"), JSON.stringify(spec, null, 1) + "\n");
  console.log(`kernel "tslab" installed in ${dir}; run Jupyter with JUPYTER_PATH=${path.join(root, ".jupyter", "share", "jupyter")}`);
} else if (command === "kernel" && rest[0] === "--config-path" && rest[1]) {
  const configPath = path.resolve(rest[1]);
  process.chdir(root);
  require(path.join(root, "node_modules", "tslab", "dist", "main.js")).startKernel({ configPath, enableFindLocal: false });
} else {
  console.error("usage: node scripts/tslab-kernel.js install | kernel --config-path FILE");
  process.exit(2);
}
