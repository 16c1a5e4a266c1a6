/**
 * Content-addressed response cache (record / replay) on disk.
 *
 * A key is the sha256 of the stable serialization of everything that determines a reply: the
 * provider id, the model, the messages, every sampling parameter and the sample index (so repeated
 * samples of one request stay distinct). An entry is one JSON file `<dir>/<key[0..2]>/<key>.json`
 * holding the key material, the value and a checksum of the value; it never holds API keys or
 * headers, because neither is part of the material. Writes go to a temp file that is renamed into
 * place, so a reader never sees half an entry. A file that does not parse, or whose key or checksum
 * does not match, is counted as corrupted and reported to the caller's `onCorrupt` once per read; in
 * `read-write` mode it is a miss (the reply is fetched again and the next `put` rewrites the file).
 *
 * Modes: `read-write` records misses and replays hits; `read-only` replays and turns a miss or a
 * corrupt entry into a CacheMissError, a FatalRunError (a replay must never reach a model, and a
 * missing reply must never become a score); `off` neither reads nor writes. A cache directory that
 * cannot be read or written (permissions, a full disk) is fatal too.
 * A small in-memory LRU sits in front of the disk so a hot entry costs no file read.
 *
 * A `SharedEntryStore` (lm/redis-cache.ts, `optimas worker --cache-url`) replaces the disk: the same
 * keys and the same entry text, so machines running one suite never pay twice for one sample.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { FatalRunError } from "../core/failure";
import { stableStringify, type Json } from "../core/json";
import type { ChatRequest } from "../core/lm-types";

export type CacheMode = "read-write" | "read-only" | "off";

export const CACHE_MODES: readonly CacheMode[] = ["read-write", "read-only", "off"];

/** Bumped when the key material or entry layout changes, so old entries simply stop matching. */
const FORMAT = 1;

export interface CacheStats {
  hits: number;
  misses: number;
  writes: number;
  /** Entries found unreadable or inconsistent (each read of a bad file counts once). */
  corrupted: number;
}

/** Entries kept elsewhere than on this disk, under the disk cache's keys and with its entry text. */
export interface SharedEntryStore {
  /** Where the entries live, for messages (a URL without its password). */
  readonly where: string;
  /** The entry's text, or undefined when there is none; an unreachable store throws a FatalRunError. */
  read(key: string): Promise<string | undefined>;
  write(key: string, text: string): Promise<void>;
}

export interface ResponseCacheOptions {
  dir: string;
  mode?: CacheMode;
  /** Entries kept in memory in front of the disk (0 disables the memory front). */
  memoryEntries?: number;
  /** Keep the entries in this store instead of under `dir`. */
  shared?: SharedEntryStore;
}

/** A read-only replay asked for a reply the cache does not hold intact. */
export class CacheMissError extends FatalRunError {
  readonly key: string;
  constructor(key: string, dir: string, corruptFile: string | undefined) {
    super(
      dir,
      corruptFile
        ? `read-only cache: the entry ${corruptFile} is corrupt (cut short, edited, or not JSON)`
        : `read-only cache: no reply recorded for request ${key}`,
      corruptFile
        ? "delete that file and record it again by running the same command with --cache read-write"
        : "record the replies first by running the same command with --cache read-write, or use --cache off",
    );
    this.name = "CacheMissError";
    this.key = key;
  }
}

/** Reading or writing the cache directory itself failed: every later entry would fail alike. */
function cacheIOError(file: string, doing: string, err: unknown): FatalRunError {
  const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  return new FatalRunError(file, `cannot ${doing} a response cache entry (${code})`, "check the cache directory's permissions and free space, or run with --cache off");
}

interface Entry {
  format: number;
  key: string;
  material: Json;
  value: Json;
  checksum: string;
}

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

export function cacheKeyOf(material: Json): string {
  return sha256(stableStringify(material));
}

/** Key material of a chat call: provider, model, messages, every sampling parameter, sample index. */
export function chatKeyMaterial(providerId: string, request: ChatRequest): Json {
  const material: { [k: string]: Json } = {
    format: FORMAT,
    kind: "chat",
    provider: providerId,
    model: request.model,
    messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
    sampleIndex: request.sampleIndex ?? 0,
  };
  // An absent parameter (the endpoint's default) and an explicit one are different requests.
  if (request.temperature !== undefined) material.temperature = request.temperature;
  if (request.maxTokens !== undefined) material.maxTokens = request.maxTokens;
  if (request.topP !== undefined) material.topP = request.topP;
  if (request.seed !== undefined) material.seed = request.seed;
  return material;
}

export function embedKeyMaterial(providerId: string, model: string | undefined, texts: readonly string[]): Json {
  return { format: FORMAT, kind: "embed", provider: providerId, model: model ?? null, texts: [...texts] };
}

export class ResponseCache {
  readonly dir: string;
  readonly mode: CacheMode;
  private readonly shared: SharedEntryStore | undefined;
  private readonly memoryLimit: number;
  /** Map iteration order is insertion order, so re-inserting on access makes it an LRU. */
  private readonly memory = new Map<string, Json>();
  private readonly madeDirs = new Set<string>();
  private tempSeq = 0;
  private readonly counts: CacheStats = { hits: 0, misses: 0, writes: 0, corrupted: 0 };

  constructor(options: ResponseCacheOptions) {
    const mode = options.mode ?? "read-write";
    if (!CACHE_MODES.includes(mode)) throw new Error(`cache mode "${mode}" is not one of ${CACHE_MODES.join(", ")}`);
    this.dir = path.resolve(options.dir);
    this.mode = mode;
    this.shared = options.shared;
    this.memoryLimit = options.memoryEntries ?? 4096;
  }

  get stats(): CacheStats {
    return { ...this.counts };
  }

  get enabled(): boolean {
    return this.mode !== "off";
  }

  fileOf(key: string): string {
    return path.join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  /** Where an entry lives, for messages: its file, or its key in the shared store. */
  private locate(key: string): string {
    return this.shared ? `${this.shared.where} entry ${key}` : this.fileOf(key);
  }

  /**
   * The recorded value, or undefined on a miss; in `read-only` mode a miss throws CacheMissError.
   * `onCorrupt` hears of each corrupt entry read, with its file.
   */
  async get(key: string, onCorrupt?: (file: string) => void): Promise<Json | undefined> {
    if (this.mode === "off") return undefined;
    const remembered = this.memory.get(key);
    if (remembered !== undefined) {
      this.memory.delete(key);
      this.memory.set(key, remembered);
      this.counts.hits++;
      return remembered;
    }
    const file = this.locate(key);
    const text = this.shared ? await this.shared.read(key) : await this.readDisk(file);
    if (text === undefined) return this.miss(key, undefined);
    const value = verified(text, key);
    if (value === undefined) {
      this.counts.corrupted++;
      onCorrupt?.(file);
      return this.miss(key, file);
    }
    this.counts.hits++;
    this.remember(key, value);
    return value;
  }

  /** Records a value (no-op unless `read-write`); on disk atomic: temp file, then rename. */
  async put(key: string, material: Json, value: Json): Promise<void> {
    if (this.mode !== "read-write") return;
    const entry: Entry = { format: FORMAT, key, material, value, checksum: sha256(stableStringify(value)) };
    if (this.shared) await this.shared.write(key, JSON.stringify(entry));
    else await this.writeDisk(this.fileOf(key), JSON.stringify(entry));
    this.counts.writes++;
    this.remember(key, value);
  }

  private async readDisk(file: string): Promise<string | undefined> {
    try {
      return await readFile(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw cacheIOError(file, "read", err);
      return undefined;
    }
  }

  private async writeDisk(file: string, text: string): Promise<void> {
    const folder = path.dirname(file);
    const temp = `${file}.${process.pid}-${++this.tempSeq}.tmp`;
    try {
      if (!this.madeDirs.has(folder)) {
        await mkdir(folder, { recursive: true });
        this.madeDirs.add(folder);
      }
      await writeFile(temp, text);
      await rename(temp, file);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw cacheIOError(file, "write", err);
    }
  }

  private miss(key: string, corruptFile: string | undefined): undefined {
    this.counts.misses++;
    if (this.mode === "read-only") throw new CacheMissError(key, this.shared?.where ?? this.dir, corruptFile);
    return undefined;
  }

  private remember(key: string, value: Json): void {
    if (this.memoryLimit <= 0) return;
    this.memory.set(key, value);
    if (this.memory.size > this.memoryLimit) this.memory.delete(this.memory.keys().next().value!);
  }
}

/** The entry's value when the file is intact and belongs to `key`, else undefined. */
function verified(text: string, key: string): Json | undefined {
  let entry: Partial<Entry>;
  try {
    entry = JSON.parse(text) as Partial<Entry>;
  } catch {
    return undefined;
  }
  if (entry === null || typeof entry !== "object" || entry.format !== FORMAT || entry.key !== key) return undefined;
  if (entry.material === undefined || entry.value === undefined || cacheKeyOf(entry.material) !== key) return undefined;
  if (entry.checksum !== sha256(stableStringify(entry.value))) return undefined;
  return entry.value;
}
