import { after, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { EXIT } from "../src/core/failure";
import { DataError } from "../src/data/errors";
import { DATA_DIR_ENV, dataRoots, locateDataFile, packageRoot } from "../src/data/paths";
import { loadPubMed } from "../src/data/pubmed";
import { csvRows, jsonlRows, readDataBuffer } from "../src/data/read";
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
  mkdirSync(join(env, "pubmed"));
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

// Data problems stop with a line naming the variable or file and the fix: never a silent fallback, never an empty dataset.

function cli(args: string[], env: Record<string, string> = {}) {
  const run = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { encoding: "utf8", env: { ...process.env, ...env } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr.trim() };
}

test("OPTIMAS_DATA_DIR set to a missing, empty, non-folder or dataset-less path is an error naming the variable, the path and the fix", () => {
  const base = tempDir();
  const empty = join(base, "empty");
  mkdirSync(empty);
  const file = join(base, "a-file");
  writeFileSync(file, "x");
  const filesOnly = join(base, "files-only");
  mkdirSync(filesOnly);
  writeFileSync(join(filesOnly, "combined_PubMedQA_test.jsonl"), "{}\n");
  const cases: [string, RegExp][] = [
    [join(base, "missing"), /does not exist/],
    [empty, /is an empty folder/],
    [file, /is not a folder/],
    [filesOnly, /holds no dataset folder/],
  ];
  for (const [dir, problem] of cases) {
    const looks: (() => unknown)[] = [() => dataRoots(), () => locateDataFile("pubmed", "combined_PubMedQA_test.jsonl"), () => loadPubMed()];
    for (const look of looks) {
      assert.throws(() => withDataEnv(dir, look), (err: unknown) => {
        assert.ok(err instanceof DataError);
        assert.ok(err.message.startsWith(`${DATA_DIR_ENV}=${dir}: `), err.message);
        assert.match(err.message, problem);
        assert.match(err.message, /point OPTIMAS_DATA_DIR at a folder holding <dataset>\/<file>.*or unset it/);
        return true;
      });
    }
  }
});

test("an empty OPTIMAS_DATA_DIR stops a command with exit 2 before anything runs, instead of reading ../shared", () => {
  const empty = tempDir();
  const run = cli(["eval", "--system", "pubmedqa", "--limit", "1"], { [DATA_DIR_ENV]: empty });
  assert.equal(run.status, EXIT.usage);
  assert.equal(run.stderr, `optimas: ${DATA_DIR_ENV}=${empty}: is an empty folder; point ${DATA_DIR_ENV} at a folder holding <dataset>/<file> (e.g. pubmed/combined_PubMedQA_test.jsonl; \`optimas data fetch\` downloads them), or unset it to use datasets/ in the checkout and ../shared/datasets`);
  assert.equal(run.stdout, "");
});

test("data check exits 2 when files are missing or altered, and 0 when the same files are intact", () => {
  const files = DATASET_CARDS.reduce((n, c) => n + c.files.length, 0);
  const missing = cli(["data", "check", "--data-dir", tempDir()]);
  assert.equal(missing.status, EXIT.usage);
  assert.equal(missing.stderr, `optimas: ${files} dataset file(s) missing, 0 altered (sha256 mismatch); run \`optimas data fetch\`, or set ${DATA_DIR_ENV} to a folder that holds them`);

  const altered = tempDir();
  mkdirSync(join(altered, "pubmed"));
  writeFileSync(join(altered, "pubmed", "combined_PubMedQA_test.jsonl"), "{}\n");
  const run = cli(["data", "check"], { [DATA_DIR_ENV]: altered });
  assert.equal(run.status, EXIT.usage);
  assert.match(run.stderr, /^optimas: 0 dataset file\(s\) missing, 1 altered/);
  assert.match(run.stdout, new RegExp(`combined_PubMedQA_test\\.jsonl +mismatch +MISMATCH +${join(altered, "pubmed")}`));

  const intact = tempDir();
  mkdirSync(join(intact, "pubmed"));
  const shared = locateDataFile("pubmed", "combined_PubMedQA_test.jsonl")!.path;
  writeFileSync(join(intact, "pubmed", "combined_PubMedQA_test.jsonl"), readFileSync(shared));
  const ok = cli(["data", "check"], { [DATA_DIR_ENV]: intact });
  assert.equal(ok.status, EXIT.ok, ok.stderr);
  assert.match(ok.stdout, /all dataset files present and intact/);
});

test("an empty dataset file is named with the fix, whatever its format", () => {
  const dir = tempDir();
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const expect = (path: string) => (err: unknown) => {
    assert.ok(err instanceof DataError);
    assert.equal(err.message, `${path}: is empty (no records); fix the file or restore the original with \`optimas data fetch pubmed\` (then check it with \`optimas data check\`)`);
    return true;
  };
  const zero = file("zero.jsonl", "");
  assert.throws(() => readDataBuffer(zero, "pubmed"), expect(zero));
  const blank = file("blank.jsonl", "\n \n");
  assert.throws(() => jsonlRows(blank, "\n \n", "pubmed"), expect(blank));
  const header = file("header.csv", "question,answer\n");
  assert.throws(() => csvRows(header, "question,answer\n", "pubmed", ["question"]), expect(header));

  // Through a loader: the empty copy in OPTIMAS_DATA_DIR is named, not skipped.
  mkdirSync(join(dir, "pubmed"));
  const train = join(dir, "pubmed", "combined_PubMedQA_train.jsonl");
  writeFileSync(train, "");
  assert.throws(() => withDataEnv(dir, () => loadPubMed()), expect(train));
});
