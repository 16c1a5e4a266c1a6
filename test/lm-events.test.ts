import { test } from "node:test";
import assert from "node:assert/strict";
import { describeRetryCounts, NOTICE_INTERVAL_MS, NOTICE_MIN_STALL_MS, WaitNotices, type LMClientEvent } from "../src/lm/events";

const retry = (waitMs: number, elapsedMs = 0): LMClientEvent => ({ kind: "retry", endpoint: "openai:http://h/v1", cause: "http-429", attempt: 1, attempts: 6, waitMs, elapsedMs });

test("wait notices: short stalls are only counted, long ones print at most one line per interval, saying how many they stand for", () => {
  let now = 0;
  const lines: string[] = [];
  const notices = new WaitNotices((line) => lines.push(line), () => now);
  notices.handle(retry(NOTICE_MIN_STALL_MS / 4));
  notices.handle(retry(NOTICE_MIN_STALL_MS / 4));
  assert.deepEqual(lines, [], "a quick retry passes silently");
  notices.handle(retry(3_200));
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^retrying \(429\) in 3\.2 s, after attempt 1 of 6 .* \(2 other retries since the last notice\)$/);
  now += NOTICE_INTERVAL_MS - 1;
  notices.handle(retry(30_000));
  assert.equal(lines.length, 1, "rate-limited");
  now += 1;
  notices.handle(retry(100, 5_000)); // a short wait after a 5 s timeout: the call has stalled long enough
  assert.equal(lines.length, 2);
  assert.match(lines[1]!, /in 0\.1 s, .*\(5\.0 s so far\).*\(1 other retry since/);
});

test("wait notices: every corrupt cache entry is reported, with its file", () => {
  const lines: string[] = [];
  const notices = new WaitNotices((line) => lines.push(line), () => 0);
  notices.handle({ kind: "cache-corrupt", file: "/c/ab/abc.json", refetch: true });
  notices.handle({ kind: "cache-corrupt", file: "/c/cd/cde.json", refetch: false });
  assert.deepEqual(lines, ["corrupt response-cache entry /c/ab/abc.json: fetching the reply again and rewriting it", "corrupt response-cache entry /c/cd/cde.json"]);
});

test("retry counts read as one line, or nothing when nothing was retried", () => {
  assert.equal(describeRetryCounts({ count: 0, waitMs: 0, byCause: {}, exhausted: 0 }), undefined);
  assert.equal(
    describeRetryCounts({ count: 3, waitMs: 4_120, byCause: { "http-429": 2, timeout: 1 }, exhausted: 1 }),
    "3 retries (429 ×2, timeout ×1), 4.1 s waited, 1 call out of retries",
  );
});
