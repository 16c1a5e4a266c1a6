import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { TEST_PASSES } from "../core/test-score";
import { loadTf, type BackendAttempt, type TfBackend } from "../reward/backend";

/**
 * What every run records about the code and machine it ran on (config.json and result.json,
 * `environment`), for every method: Amazon's local models use tfjs whatever the method, and a
 * number is only comparable to another from the same code, packages, backend and test definition.
 */
export interface RunEnvironment {
  /** HEAD of the project's checkout, or "not a git checkout". */
  git_commit: string;
  /** Tracked files differ from HEAD (null: not a git checkout). */
  git_dirty: boolean | null;
  versions: { node: string; tfjs: string; openai: string; project: string };
  /** The tfjs backend in use, and why each faster one was skipped (reward/backend.ts). */
  tf_backend: { backend: TfBackend; skipped: Omit<BackendAttempt, "ok">[] };
  /** Passes of every test score (core/test-score.ts TEST_PASSES). */
  test_passes: number;
}

export const NOT_A_GIT_CHECKOUT = "not a git checkout";

const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

function git(args: string[]): string | null {
  try {
    return execFileSync("git", args, { cwd: PROJECT_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

/**
 * The installed version of a package: its package.json, found upward from its entry point (some
 * packages, openai among them, do not export `package.json`).
 */
export function packageVersion(name: string): string {
  let dir = path.dirname(require.resolve(name, { paths: [PROJECT_ROOT] }));
  for (;;) {
    const file = path.join(dir, "package.json");
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === name && pkg.version) return pkg.version;
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no package.json of "${name}" above ${require.resolve(name)}`);
    dir = up;
  }
}

/** Reads the checkout and the packages, and selects the tfjs backend as every run does (OPTIMAS_TF_BACKEND honoured). */
export async function runEnvironment(): Promise<RunEnvironment> {
  const commit = git(["rev-parse", "HEAD"]);
  const status = commit === null ? null : git(["status", "--porcelain", "--untracked-files=no"]);
  const project = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { name: string; version: string };
  const tf = await loadTf();
  return {
    git_commit: commit ?? NOT_A_GIT_CHECKOUT,
    git_dirty: status === null ? null : status.length > 0,
    versions: { node: process.version, tfjs: packageVersion("@tensorflow/tfjs"), openai: packageVersion("openai"), project: `${project.name}@${project.version}` },
    tf_backend: { backend: tf.backend, skipped: tf.attempts.filter((a) => !a.ok).map(({ backend, reason }) => ({ backend, reason })) },
    test_passes: TEST_PASSES,
  };
}
