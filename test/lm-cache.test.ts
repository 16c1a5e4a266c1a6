import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { FatalRunError } from "../src/core/failure";
import { CacheMissError, ResponseCache, cacheKeyOf, chatKeyMaterial } from "../src/lm/cache";
import type { ChatRequest } from "../src/core/lm-types";

const base: ChatRequest = {
  model: "sim-m",
  messages: [
    { role: "system", content: "Answer briefly." },
    { role: "user", content: "What is 2+2?" },
  ],
  temperature: 0.7,
  maxTokens: 64,
  topP: 0.9,
  seed: 11,
  sampleIndex: 2,
};

const keyOf = (req: ChatRequest, provider = "p"): string => cacheKeyOf(chatKeyMaterial(provider, req));

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), "lm-cache-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function allFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

test("the cache key changes with every field that determines a reply", () => {
  const k = keyOf(base);
  const variants: ChatRequest[] = [
    { ...base, model: "sim-l" },
    { ...base, messages: [...base.messages, { role: "assistant", content: "4" }] },
    { ...base, messages: [base.messages[0]!, { role: "user", content: "What is 2+3?" }] },
    { ...base, temperature: 0.8 },
    { ...base, maxTokens: 65 },
    { ...base, topP: 0.95 },
    { ...base, seed: 12 },
    { ...base, sampleIndex: 3 },
    { ...base, temperature: undefined },
  ];
  const keys = new Set([k, ...variants.map((v) => keyOf(v))]);
  assert.equal(keys.size, variants.length + 1);
  assert.notEqual(keyOf(base, "q"), k, "the provider id is part of the key");
  assert.match(k, /^[0-9a-f]{64}$/);
});

test("the cache key ignores object key order and treats a missing sample index as sample 0", () => {
  const reordered: ChatRequest = { sampleIndex: 2, seed: 11, topP: 0.9, maxTokens: 64, temperature: 0.7, messages: base.messages, model: "sim-m" };
  assert.equal(keyOf(reordered), keyOf(base));
  assert.equal(keyOf({ ...base, sampleIndex: undefined }), keyOf({ ...base, sampleIndex: 0 }));
});

test("read-write records and replays across cache instances", async (t) => {
  const dir = tempDir(t);
  const material = chatKeyMaterial("p", base);
  const key = cacheKeyOf(material);
  const writer = new ResponseCache({ dir, mode: "read-write" });
  assert.equal(await writer.get(key), undefined);
  await writer.put(key, material, { text: "4" });
  const reader = new ResponseCache({ dir, mode: "read-only" });
  assert.deepEqual(await reader.get(key), { text: "4" });
  assert.deepEqual(reader.stats, { hits: 1, misses: 0, writes: 0, corrupted: 0 });
});

test("a read-only miss is a fatal CacheMissError naming the directory, the key and the fix", async (t) => {
  const cache = new ResponseCache({ dir: tempDir(t), mode: "read-only" });
  const key = keyOf(base);
  await assert.rejects(cache.get(key), (err: unknown) => {
    assert.ok(err instanceof CacheMissError);
    assert.ok(err instanceof FatalRunError);
    assert.equal(err.key, key);
    assert.equal(err.endpoint, cache.dir);
    assert.match(err.message, new RegExp(key));
    assert.match(err.message, /--cache read-write/);
    assert.ok(!err.message.includes("\n"), "one line");
    return true;
  });
  await cache.put(key, chatKeyMaterial("p", base), { text: "x" });
  assert.equal(allFiles(cache.dir).length, 0, "read-only never writes");
});

test("mode off neither reads nor writes", async (t) => {
  const dir = tempDir(t);
  const material = chatKeyMaterial("p", base);
  const key = cacheKeyOf(material);
  await new ResponseCache({ dir }).put(key, material, { text: "4" });
  const off = new ResponseCache({ dir, mode: "off" });
  assert.equal(off.enabled, false);
  assert.equal(await off.get(key), undefined);
});

test("an unknown mode is one clear error", () => {
  assert.throws(() => new ResponseCache({ dir: "x", mode: "replay" as never }), /cache mode "replay" is not one of read-write, read-only, off/);
});

test("corrupted entries are detected, counted, ignored, and rewritten in read-write mode", async (t) => {
  const dir = tempDir(t);
  const material = chatKeyMaterial("p", base);
  const key = cacheKeyOf(material);
  const seed = new ResponseCache({ dir, memoryEntries: 0 });
  await seed.put(key, material, { text: "good" });
  const file = seed.fileOf(key);
  const intact = readFileSync(file, "utf8");
  const otherMaterial = chatKeyMaterial("p", { ...base, seed: 99 });
  const damages: [string, string][] = [
    ["garbage", "\u0000\u0001 not json"],
    ["truncated", intact.slice(0, Math.floor(intact.length / 2))],
    ["edited value", intact.replace('"good"', '"evil"')],
    ["another key's entry", JSON.stringify({ ...JSON.parse(intact), material: otherMaterial })],
    ["empty", ""],
  ];
  for (const [label, content] of damages) {
    writeFileSync(file, content);
    const cache = new ResponseCache({ dir, memoryEntries: 0 });
    const reported: string[] = [];
    assert.equal(await cache.get(key, (f) => reported.push(f)), undefined, label);
    assert.deepEqual(reported, [file], `${label}: reported once, with its file`);
    assert.equal(cache.stats.corrupted, 1, label);
    assert.equal(cache.stats.misses, 1, label);
    await assert.rejects(new ResponseCache({ dir, mode: "read-only" }).get(key), (err: unknown) => err instanceof FatalRunError && err.message.includes(`${file} is corrupt`), label);
    await cache.put(key, material, { text: "good" });
    assert.deepEqual(await new ResponseCache({ dir }).get(key), { text: "good" }, `${label}: rewritten`);
  }
});

test("a cache directory that cannot be read or written is fatal, naming the file", async (t) => {
  const dir = tempDir(t);
  const material = chatKeyMaterial("p", base);
  const key = cacheKeyOf(material);
  const cache = new ResponseCache({ dir });
  mkdirSync(cache.fileOf(key), { recursive: true }); // a directory where the entry should be: EISDIR on read, rename fails
  await assert.rejects(cache.get(key), (err: unknown) => err instanceof FatalRunError && err.message.includes(cache.fileOf(key)) && /--cache off/.test(err.message));
  await assert.rejects(cache.put(key, material, { text: "x" }), (err: unknown) => err instanceof FatalRunError && /cannot write/.test(err.message));
});

test("writes are atomic: concurrent puts leave whole entries and no temp files", async (t) => {
  const dir = tempDir(t);
  const cache = new ResponseCache({ dir });
  const requests = Array.from({ length: 40 }, (_, i) => ({ ...base, sampleIndex: i % 10 }));
  await Promise.all(requests.map((r) => cache.put(keyOf(r), chatKeyMaterial("p", r), { text: `sample ${r.sampleIndex}`, big: "z".repeat(20_000) })));
  const files = allFiles(dir);
  assert.equal(files.length, 10);
  assert.ok(files.every((f) => f.endsWith(".json")), `no temp files left: ${files.join(", ")}`);
  const fresh = new ResponseCache({ dir });
  for (let i = 0; i < 10; i++) {
    const value = (await fresh.get(keyOf({ ...base, sampleIndex: i }))) as { text: string };
    assert.equal(value.text, `sample ${i}`);
  }
  assert.equal(fresh.stats.corrupted, 0);
});

test("the memory front serves hits without reading the disk", async (t) => {
  const dir = tempDir(t);
  const material = chatKeyMaterial("p", base);
  const key = cacheKeyOf(material);
  const cache = new ResponseCache({ dir, memoryEntries: 1 });
  await cache.put(key, material, { text: "4" });
  rmSync(cache.fileOf(key));
  assert.deepEqual(await cache.get(key), { text: "4" });
  const other = chatKeyMaterial("p", { ...base, seed: 5 });
  await cache.put(cacheKeyOf(other), other, { text: "5" }); // evicts the first (capacity 1)
  assert.equal(await cache.get(key), undefined);
});
