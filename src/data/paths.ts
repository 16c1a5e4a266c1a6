import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { DataError } from "./errors";

/** Environment variable naming a data root: a folder holding one sub-folder per dataset. */
export const DATA_DIR_ENV = "OPTIMAS_DATA_DIR";

export interface DataLocationOptions {
  /**
   * An explicit data root (a folder with `<dataset>/<file>` inside). When given it is the only
   * place looked at, so a test fixture never silently falls back to the real files.
   */
  dataDir?: string;
}

export type DataRootOrigin = "option" | "env" | "checkout" | "shared";

export interface DataRoot {
  root: string;
  origin: DataRootOrigin;
}

let cachedPackageRoot: string | undefined;

/** The checkout's root: the nearest folder above this module whose package.json names this package. */
export function packageRoot(): string {
  if (cachedPackageRoot) return cachedPackageRoot;
  let dir = __dirname;
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      const name = (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name;
      if (name === "optimas-ts") return (cachedPackageRoot = dir);
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the optimas-ts package root above ${__dirname}`);
    dir = parent;
  }
}

/** Where dataset files are looked for, first match wins: option, `OPTIMAS_DATA_DIR`, `datasets/` in the checkout, `../shared/datasets/` beside it. */
export function dataRoots(options: DataLocationOptions = {}): DataRoot[] {
  if (options.dataDir !== undefined) return [{ root: resolve(options.dataDir), origin: "option" }];
  const roots: DataRoot[] = [];
  const env = process.env[DATA_DIR_ENV];
  if (env) roots.push({ root: usableEnvRoot(resolve(env)), origin: "env" });
  roots.push({ root: join(packageRoot(), "datasets"), origin: "checkout" });
  roots.push({ root: resolve(packageRoot(), "..", "shared", "datasets"), origin: "shared" });
  return roots;
}

/**
 * OPTIMAS_DATA_DIR set means "my data is here": a folder that is missing, unreadable or holds no
 * dataset folder is an error, never a silent fall-through to the checkout's or ../shared's copies.
 * (Within a usable folder, a file it lacks is still looked for in the other roots; `optimas data
 * check` shows where each file came from.)
 */
function usableEnvRoot(root: string): string {
  const problem = ((): string | undefined => {
    try {
      const entries = readdirSync(root, { withFileTypes: true });
      return entries.some((e) => e.isDirectory()) ? undefined : entries.length === 0 ? "is an empty folder" : "holds no dataset folder";
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return code === "ENOENT" ? "does not exist" : code === "ENOTDIR" ? "is not a folder" : `cannot be read (${code ?? String(err)})`;
    }
  })();
  if (problem === undefined) return root;
  throw new DataError(
    `${DATA_DIR_ENV}=${root}`,
    undefined,
    undefined,
    problem,
    `point ${DATA_DIR_ENV} at a folder holding <dataset>/<file> (e.g. pubmed/combined_PubMedQA_test.jsonl; \`optimas data fetch\` downloads them), or unset it to use datasets/ in the checkout and ../shared/datasets`,
  );
}

/** The first existing copy of `<dataset>/<file>`, or undefined. */
export function locateDataFile(dataset: string, file: string, options: DataLocationOptions = {}): { path: string; origin: DataRootOrigin } | undefined {
  for (const { root, origin } of dataRoots(options)) {
    const path = join(root, dataset, file);
    if (existsSync(path)) return { path, origin };
  }
  return undefined;
}

/** Like locateDataFile, but a missing file is a DataError listing every place looked at. */
export function requireDataFile(dataset: string, file: string, options: DataLocationOptions = {}): string {
  const found = locateDataFile(dataset, file, options);
  if (found) return found.path;
  const tried = dataRoots(options).map(({ root }) => join(root, dataset, file));
  throw new DataError(
    `${dataset}/${file}`,
    undefined,
    undefined,
    `not found (looked in ${tried.join(", ")})`,
    `run \`optimas data fetch ${dataset}\`, or set ${DATA_DIR_ENV} to a folder that holds ${dataset}/${file}`,
  );
}
