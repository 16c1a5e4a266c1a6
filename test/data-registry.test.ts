import { after, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DATA_DIR_ENV, dataRoots, locateDataFile, packageRoot } from "../src/data/paths";
import { checkDatasets, datasetCard, DATASET_CARDS, sha256Hex } from "../src/data/registry";
import { DatasetFetchError, fetchDataset } from "../src/data/fetch";

const temps: string[] = [];
after(() => temps.forEach((t) => rmSync(t, { recursive: true, force: true })));
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "optimas-registry-test-"));
  temps.push(dir);
  return dir;
}

/** Runs `fn` with OPTIMAS_DATA_DIR set (or unset), restoring it afterwards. */
function withDataEnv<T>(value: string | undefined, fn: () => T): T {
  const saved = process.env[DATA_DIR_ENV];
  if (value === undefined) delete process.env[DATA_DIR_ENV];
  else process.env[DATA_DIR_ENV] = value;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env[DATA_DIR_ENV];
    else process.env[DATA_DIR_ENV] = saved;
  }
}

const realBytes = (dataset: string, file: string): Buffer => readFileSync(withDataEnv(undefined, () => locateDataFile(dataset, file))!.path);

test("the package root is found from the module, not the working directory", () => {
  const root = packageRoot();
  assert.equal((JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { name: string }).name, "optimas-ts");
  const cwd = process.cwd();
  process.chdir(tmpdir());
  try {
    assert.equal(withDataEnv(undefined, () => dataRoots())[0]!.root, join(root, "datasets"));
  } finally {
    process.chdir(cwd);
  }
});

test("data roots: OPTIMAS_DATA_DIR, then datasets/ in the checkout, then ../shared/datasets; an explicit root is exclusive", () => {
  const env = tempDir();
  assert.deepEqual(withDataEnv(env, () => dataRoots()).map((r) => [r.root, r.origin]), [
    [env, "env"],
    [join(packageRoot(), "datasets"), "checkout"],
    [join(packageRoot(), "..", "shared", "datasets"), "shared"],
  ]);
  assert.deepEqual(withDataEnv(env, () => dataRoots({ dataDir: "/some/where" })), [{ root: "/some/where", origin: "option" }]);
});

test("each file resolves separately: a file in OPTIMAS_DATA_DIR wins, the others fall through", () => {
  const env = tempDir();
  mkdirSync(join(env, "pubmed"));
  writeFileSync(join(env, "pubmed", "combined_PubMedQA_test.jsonl"), "local copy\n");
  const [pubmed] = withDataEnv(env, () => checkDatasets(["pubmed"]));
  const byPath = Object.fromEntries(pubmed!.files.map((f) => [f.path, f]));
  assert.equal(byPath["combined_PubMedQA_test.jsonl"]!.origin, "env");
  assert.equal(byPath["combined_PubMedQA_test.jsonl"]!.status, "mismatch");
  assert.equal(byPath["combined_PubMedQA_test.jsonl"]!.actualSha256, sha256Hex("local copy\n"));
  assert.equal(byPath["combined_PubMedQA_train.jsonl"]!.status, "ok");
  assert.notEqual(byPath["combined_PubMedQA_train.jsonl"]!.origin, "env");
  assert.equal(pubmed!.ok, false);
});

test("checkDatasets reports missing files and verified copies", () => {
  const root = tempDir();
  mkdirSync(join(root, "amazon"));
  writeFileSync(join(root, "amazon", "session_based_next_item_selection_dataset.csv"), realBytes("amazon", "session_based_next_item_selection_dataset.csv"));
  const [amazon] = checkDatasets(["amazon"], { dataDir: root });
  assert.deepEqual(amazon!.files.map((f) => [f.path, f.status, f.origin]), [
    ["session_based_next_item_selection_dataset.csv", "ok", "option"],
    ["multilingual_session_based_recommendation_dataset.csv", "missing", undefined],
  ]);
  assert.throws(() => checkDatasets(["nope"]), /unknown dataset "nope"; known datasets: amazon, pubmed, hotpotqa, bigcodebench, stark/);
});

test("every card file has a sha256 and either a commit-pinned source URL or the reason it has none", () => {
  for (const card of DATASET_CARDS) {
    for (const f of card.files) {
      assert.match(f.sha256, /^[0-9a-f]{64}$/);
      assert.ok((f.url === undefined) !== (f.noSource === undefined), `${card.name}/${f.path}`);
      if (f.url) assert.match(f.url, /^https:\/\/raw\.githubusercontent\.com\/[^/]+\/[^/]+\/[0-9a-f]{40}\//);
    }
  }
});

test("fetch downloads, verifies the sha256 and renames into place; a corrupted download is never saved", async () => {
  const train = realBytes("pubmed", "combined_PubMedQA_train.jsonl");
  const server = createServer((req, res) => {
    if (req.url!.endsWith("combined_PubMedQA_train.jsonl")) res.end(train);
    else if (req.url!.endsWith("combined_PubMedQA_test.jsonl")) res.end("tampered\n");
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const requested: string[] = [];
  const viaLocal: typeof fetch = (input, init) => {
    requested.push(String(input));
    return fetch(base + new URL(String(input)).pathname, init);
  };
  const dest = tempDir();
  try {
    await assert.rejects(fetchDataset("pubmed", { destRoot: dest, dataDir: dest, fetchImpl: viaLocal }), (err: unknown) => {
      assert.ok(err instanceof DatasetFetchError);
      assert.match(err.message, /^downloaded pubmed\/combined_PubMedQA_test\.jsonl from https:\/\/raw\.githubusercontent\.com\/.* but its sha256 is [0-9a-f]{64}, not 7d831b2e/);
      return true;
    });
    assert.deepEqual(readdirSync(join(dest, "pubmed")), ["combined_PubMedQA_train.jsonl"], "the verified file is in place, nothing else (no partial file)");
    assert.equal(sha256Hex(readFileSync(join(dest, "pubmed", "combined_PubMedQA_train.jsonl"))), datasetCard("pubmed").files[0]!.sha256);
    assert.ok(requested[0]!.startsWith("https://raw.githubusercontent.com/snap-stanford/optimas/"));

    const hotpot = await fetchDataset("hotpotqa", { destRoot: dest, dataDir: dest, fetchImpl: viaLocal });
    assert.equal(hotpot[0]!.status, "no-source");
    assert.match(hotpot[0]!.note!, /pickle/);
    assert.ok(!existsSync(join(dest, "hotpotqa")));

    const bcb = tempDir();
    await assert.rejects(fetchDataset("bigcodebench", { destRoot: bcb, dataDir: bcb, fetchImpl: viaLocal }), /cannot download bigcodebench\/BigCodeBench\.jsonl\.gz: GET https:.* answered HTTP 404/);
  } finally {
    server.close();
  }
});

test("an unreachable source fails with one line naming the file, the cause and the way out", async () => {
  // A port that was just free: nothing listens there.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  const refused: typeof fetch = (_input, init) => fetch(`http://127.0.0.1:${port}/`, init);
  const dest = tempDir();
  await assert.rejects(fetchDataset("stark", { destRoot: dest, dataDir: dest, fetchImpl: refused }), (err: unknown) => {
    assert.ok(err instanceof DatasetFetchError);
    assert.match(err.message, /^cannot download stark\/stark_qa\/stark_qa\.csv from https:\/\/raw\.githubusercontent\.com\/snap-stanford\/stark\/.*: ECONNREFUSED \(is the network reachable\?\); copy the file into .* by hand, or set OPTIMAS_DATA_DIR/);
    assert.ok(!err.message.includes("\n"));
    return true;
  });
  assert.ok(!existsSync(join(dest, "stark")), "nothing written");
});

test("fetch leaves verified copies alone, in the destination or anywhere the loaders look", async () => {
  const dest = tempDir();
  mkdirSync(join(dest, "pubmed"));
  for (const f of datasetCard("pubmed").files) writeFileSync(join(dest, "pubmed", f.path), realBytes("pubmed", f.path));
  const never: typeof fetch = () => Promise.reject(new Error("must not download"));
  assert.deepEqual((await fetchDataset("pubmed", { destRoot: dest, dataDir: dest, fetchImpl: never })).map((o) => o.status), ["present", "present"]);
  const elsewhere = tempDir();
  const outcomes = await withDataEnv(undefined, () => fetchDataset("pubmed", { destRoot: elsewhere, fetchImpl: never }));
  assert.deepEqual(outcomes.map((o) => o.status), ["present", "present"]);
  assert.ok(!outcomes[0]!.dest.startsWith(elsewhere), "the copy the loaders already find");
});
