import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { BM25Index, ColBERTv2Retriever } from "../src/systems/hotpotqa/bm25";
import { hotpotParagraphPool, loadHotpotQA } from "../src/data/hotpotqa";
import { retrievalTokens } from "../src/data/text";

const doc = (text: string, title = "") => ({ title, text });

test("scores follow Okapi BM25 (k1 1.2, b 0.75, idf ln(1 + (N − n + 0.5)/(n + 0.5)))", () => {
  const index = new BM25Index([doc("apple banana"), doc("apple apple cherry"), doc("durian")]);
  const idf = Math.log(1 + (3 - 2 + 0.5) / (2 + 0.5));
  // Lengths 2, 3, 1 → average 2: doc 0 has norm 1, doc 1 norm 0.25 + 0.75·1.5.
  const [s0, s1, s2] = index.scores("apple");
  assert.ok(Math.abs(s0! - idf * (1 * 2.2) / (1 + 1.2)) < 1e-12);
  assert.ok(Math.abs(s1! - idf * (2 * 2.2) / (2 + 1.2 * 1.375)) < 1e-12);
  assert.equal(s2, 0);
  assert.deepEqual(index.searchSync("apple", 5).map((p) => p.text), ["apple apple cherry", "apple banana"]);
});

test("works on one or two documents (wink-bm25-text-search refuses fewer than three)", () => {
  assert.deepEqual(new BM25Index([doc("only one")]).searchSync("one", 3).map((p) => p.text), ["only one"]);
  assert.deepEqual(new BM25Index([]).searchSync("anything", 3), []);
});

test("ties keep document order; only matching documents are returned, at most k; bad k is an error", () => {
  const index = new BM25Index([doc("red fox", "B"), doc("blue whale", "A"), doc("red fox", "C"), doc("red fox", "D")]);
  assert.deepEqual(index.searchSync("fox", 10).map((p) => p.title), ["B", "C", "D"]);
  assert.deepEqual(index.searchSync("fox", 2).map((p) => p.title), ["B", "C"]);
  assert.deepEqual(index.searchSync("zebra", 2), []);
  assert.throws(() => index.searchSync("fox", 0), /k must be a positive integer \(got 0\)/);
  assert.throws(() => index.searchSync("fox", 1.5), /positive integer/);
});

test("titles are indexed; accents fold and stopwords drop on both sides", () => {
  const index = new BM25Index([doc("A singer from Houston.", "Beyoncé"), doc("A band from Liverpool.", "The Beatles"), doc("Another text.", "Other")]);
  assert.equal(index.searchSync("Who is BEYONCE?", 1)[0]!.title, "Beyoncé");
  assert.equal(index.searchSync("the beatles", 1)[0]!.title, "The Beatles");
  assert.deepEqual(retrievalTokens("The Beyoncé's 2nd album"), ["beyonce", "2nd", "album"]);
});

test("agrees with wink-bm25-text-search on the HotpotQA pool (same formula, wink at full precision)", async () => {
  const pool = hotpotParagraphPool(loadHotpotQA());
  const index = new BM25Index(pool);
  type Wink = {
    defineConfig(c: object): void; definePrepTasks(t: ((x: string) => string[])[]): void;
    addDoc(d: object, id: number): void; consolidate(fp: number): void; search(q: string, limit: number): [string, number][];
  };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const wink = (require("wink-bm25-text-search") as () => Wink)();
  wink.defineConfig({ fldWeights: { body: 1 }, bm25Params: { k1: 1.2, b: 0.75, k: 1 } });
  wink.definePrepTasks([retrievalTokens]);
  pool.forEach((p, i) => wink.addDoc({ body: `${p.title} ${p.text}` }, i));
  wink.consolidate(9);
  const queries = ["Which magazine was started first, Arthur's Magazine or First for Women?", "German media group based in Ismaning", "rivalry trophy college football Idaho Montana", "Little Brown Stein"];
  for (const q of queries) {
    const ours = index.searchSync(q, 10);
    const theirs = wink.search(q, 10);
    assert.equal(ours.length, theirs.length, q);
    ours.forEach((p, i) => {
      assert.ok(Math.abs(p.score - theirs[i]![1]) < 1e-6, `${q}: rank ${i} score ${p.score} vs ${theirs[i]![1]}`);
      const tied = ours.some((o, j) => j !== i && Math.abs(o.score - p.score) < 1e-9);
      if (!tied) assert.equal(p.title, pool[Number(theirs[i]![0])]!.title, `${q}: rank ${i}`);
    });
  }
  assert.equal(await index.search("Little Brown Stein", 1).then((r) => r[0]!.title), "Little Brown Stein");
});

test("ColBERTv2 client: GET ?query=&k=, parses 'Title | text', keeps k hits", async () => {
  const seen: URL[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url!, "http://x");
    seen.push(url);
    if (url.pathname === "/broken") return res.writeHead(500).end("oops");
    if (url.pathname === "/notcolbert") return res.end(JSON.stringify({ hits: [] }));
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ topk: [
      { text: "Paris | Paris is the capital of France.", score: 21.5, pid: 1, rank: 1 },
      { text: "No title here", score: 20, pid: 2, rank: 2 },
      { text: "Lyon | A city | with pipes.", score: 19, pid: 3, rank: 3 },
    ] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const retriever = new ColBERTv2Retriever(`${base}/wiki17_abstracts`);
    assert.deepEqual(await retriever.search("capital of France & more", 2), [
      { title: "Paris", text: "Paris is the capital of France.", score: 21.5 },
      { title: "", text: "No title here", score: 20 },
    ]);
    assert.equal(seen[0]!.pathname, "/wiki17_abstracts");
    assert.equal(seen[0]!.searchParams.get("query"), "capital of France & more");
    assert.equal(seen[0]!.searchParams.get("k"), "2");
    assert.equal((await retriever.search("x", 5))[2]!.text, "A city | with pipes.");
    await assert.rejects(new ColBERTv2Retriever(`${base}/broken`).search("x", 1), /ColBERTv2 server http:.*\/broken answered HTTP 500/);
    await assert.rejects(new ColBERTv2Retriever(`${base}/notcolbert`).search("x", 1), /without a "topk" list/);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  await assert.rejects(new ColBERTv2Retriever(`http://127.0.0.1:${port}/wiki17_abstracts`, { timeoutMs: 2000 }).search("x", 1), /ColBERTv2 server http:\/\/127\.0\.0\.1:\d+\/wiki17_abstracts: cannot be reached \(ECONNREFUSED\); start the ColBERTv2 server .*or use --set retriever=bm25/);
});
