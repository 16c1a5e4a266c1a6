import * as fs from "node:fs";
import * as path from "node:path";

let tempCounter = 0;

/**
 * Writes a file atomically (temp file in the same directory, then rename): readers never see half
 * a file, and a failed write leaves no temp file behind.
 */
export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}-${++tempCounter}.tmp`);
  try {
    fs.writeFileSync(tmp, content);
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 1)}\n`);
}

/** Reads JSON with an error naming the file and the fix. */
export function readJson<T>(file: string, what: string): T {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new Error(`${file}: ${what} not found`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`${file}: ${what} is not valid JSON (${(err as Error).message}); restore it or start a new run`);
  }
}
