import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "../core/files";
import { dirname, join } from "node:path";
import { locateDataFile, packageRoot, type DataLocationOptions } from "./paths";
import { datasetCard, sha256Hex, type DataFileCard } from "./registry";

/** A download that failed, as one line naming the file, the cause and what to do instead. */
export class DatasetFetchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DatasetFetchError";
  }
}

export interface FetchOptions extends DataLocationOptions {
  /** Data root to download into (default: `datasets/` in the checkout). */
  destRoot?: string;
  /** Download again even when a verified copy is already found (`dataDir` or the usual data roots). */
  force?: boolean;
  timeoutMs?: number;
  /** For tests: replaces the global fetch. */
  fetchImpl?: typeof fetch;
}

export type FetchStatus = "downloaded" | "present" | "no-source";

export interface FetchOutcome {
  path: string;
  status: FetchStatus;
  dest: string;
  /** Where the file is now (or would go), and for `no-source` why it cannot be downloaded. */
  note?: string;
}

/**
 * Downloads every file of a dataset from its canonical source into the data root, verifying the
 * sha256 before an atomic rename into place (an interrupted or corrupted download never leaves a
 * file that looks valid). A file whose first copy in the data roots is already verified is left
 * alone; files without a public source are reported, not fetched.
 */
export async function fetchDataset(name: string, options: FetchOptions = {}): Promise<FetchOutcome[]> {
  const card = datasetCard(name);
  const root = options.destRoot ?? join(packageRoot(), "datasets");
  const outcomes: FetchOutcome[] = [];
  for (const file of card.files) {
    const dest = join(root, card.name, file.path);
    const present = [locateDataFile(card.name, file.path, options)?.path, dest].find((p) => p !== undefined && existsSync(p) && sha256Hex(readFileSync(p)) === file.sha256);
    if (!options.force && present) {
      outcomes.push({ path: file.path, status: "present", dest: present });
    } else if (!file.url) {
      outcomes.push({ path: file.path, status: "no-source", dest, note: file.noSource });
    } else {
      await downloadVerified(card.name, file, file.url, dest, options);
      outcomes.push({ path: file.path, status: "downloaded", dest });
    }
  }
  return outcomes;
}

async function downloadVerified(dataset: string, file: DataFileCard, url: string, dest: string, options: FetchOptions): Promise<void> {
  const label = `${dataset}/${file.path}`;
  const fetchImpl = options.fetchImpl ?? fetch;
  let body: Buffer;
  try {
    const response = await fetchImpl(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 60_000) });
    if (!response.ok) throw new DatasetFetchError(`cannot download ${label}: GET ${url} answered HTTP ${response.status}; the source may have moved — copy the file into ${dirname(dest)} by hand`);
    body = Buffer.from(await response.arrayBuffer());
  } catch (err) {
    if (err instanceof DatasetFetchError) throw err;
    throw new DatasetFetchError(
      `cannot download ${label} from ${url}: ${describeFetchFailure(err)} (is the network reachable?); copy the file into ${dirname(dest)} by hand, or set OPTIMAS_DATA_DIR to a folder that has it`,
    );
  }
  const actual = sha256Hex(body);
  if (actual !== file.sha256) {
    throw new DatasetFetchError(`downloaded ${label} from ${url} but its sha256 is ${actual}, not ${file.sha256}; the file was not saved — the source changed or the download was altered`);
  }
  writeFileAtomic(dest, body);
}

/** The innermost cause of a failed fetch, briefly: Node wraps DNS and socket errors in `TypeError: fetch failed`. */
export function describeFetchFailure(err: unknown): string {
  let e: unknown = err;
  while (e && typeof e === "object" && "cause" in e && (e as { cause?: unknown }).cause) e = (e as { cause: unknown }).cause;
  if (e && typeof e === "object") {
    const { code, name, message } = e as { code?: string; name?: string; message?: string };
    if (name === "TimeoutError") return "timed out";
    if (code) return code;
    if (message) return message;
  }
  return String(e);
}
