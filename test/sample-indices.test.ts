import { test } from "node:test";
import assert from "node:assert/strict";
import {
  LIMITS,
  MAX_PARSE_ATTEMPTS,
  PRIMARY_END,
  SAMPLE_RANGES,
  parseRetrySample,
  proposalSample,
  roundDraw,
  roundRollout,
  testSample,
  trainSample,
  validationSample,
} from "../src/core/sample-indices";

/** Every primary index a legal call can produce, by range (walked exhaustively within the stated bounds). */
function* primaries(): Generator<[string, number]> {
  for (let p = 0; p < LIMITS.passes; p++) {
    yield ["train", trainSample(p)];
    yield ["validation", validationSample(p)];
    yield ["test", testSample(p)];
  }
  for (let s = 0; s < LIMITS.steps; s++) {
    for (let r = 0; r < LIMITS.rollouts; r++) yield ["round", roundRollout(s, r)];
    for (let d = 0; d < LIMITS.draws; d++) yield ["round", roundDraw(s, d)];
    for (let c = 0; c < LIMITS.calls; c++) yield ["proposal", proposalSample(s, c)];
  }
}

test("no two legal (range, round, pass, rollout, draw, call) give one sample index, and each stays in its named range", () => {
  const seen = new Uint8Array(PRIMARY_END);
  let count = 0;
  for (const [range, index] of primaries()) {
    const { start, end } = SAMPLE_RANGES[range as keyof typeof SAMPLE_RANGES];
    if (!(index >= start && index < end)) assert.fail(`${range} index ${index} outside [${start}, ${end})`);
    if (seen[index] === 1) assert.fail(`sample index ${index} (${range}) is produced twice`);
    seen[index] = 1;
    count++;
  }
  assert.equal(count, PRIMARY_END, "the ranges tile [0, PRIMARY_END) exactly");
});

test("parse retries never meet a primary draw or another attempt's draw", () => {
  // Retries of the first and last index of every range, at every attempt: each attempt a maps the
  // primaries [0, PRIMARY_END) onto [a·PRIMARY_END, (a+1)·PRIMARY_END), so the ends decide it.
  const edges = Object.values(SAMPLE_RANGES).flatMap(({ start, end }) => [start, end - 1]);
  const seen = new Set<number>(edges);
  for (let attempt = 1; attempt <= MAX_PARSE_ATTEMPTS; attempt++) {
    for (const index of edges) {
      const retry = parseRetrySample(index, attempt);
      assert.ok(retry >= attempt * PRIMARY_END && retry < (attempt + 1) * PRIMARY_END);
      assert.ok(!seen.has(retry), `retry ${retry} collides`);
      seen.add(retry);
    }
  }
  assert.equal(parseRetrySample(7, 2) - parseRetrySample(7, 1), PRIMARY_END, "one request's attempts step by PRIMARY_END");
});

test("arguments outside the stated bounds throw a RangeError naming the argument", () => {
  const outside: [string, () => number, RegExp][] = [
    ["round = steps", () => roundRollout(LIMITS.steps, 0), /roundRollout got round = 1000/],
    ["rollout into the draws", () => roundRollout(0, LIMITS.rollouts), /rollout = 500/],
    ["draw past the round", () => roundDraw(0, LIMITS.draws), /draw = 500/],
    ["negative round", () => roundDraw(-1, 0), /round = -1/],
    ["call past the step", () => proposalSample(1, LIMITS.calls), /call = 1000/],
    ["fractional pass", () => validationSample(1.5), /pass = 1.5/],
    ["validation pass past the range", () => validationSample(LIMITS.passes), /pass = 1000000/],
    ["test pass past the range", () => testSample(LIMITS.passes), /testSample/],
    ["train pass", () => trainSample(-2), /trainSample/],
    ["retry of a retry", () => parseRetrySample(PRIMARY_END, 1), /index = 5000000/],
    ["attempt 0", () => parseRetrySample(0, 0), /attempt = 0/],
    ["too many attempts", () => parseRetrySample(0, MAX_PARSE_ATTEMPTS + 1), /attempt = 101/],
  ];
  for (const [what, call, message] of outside) assert.throws(call, (err: unknown) => err instanceof RangeError && message.test(err.message), what);
});
