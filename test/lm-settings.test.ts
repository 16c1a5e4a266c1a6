import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { FatalRunError } from "../src/core/failure";
import { CacheMissError } from "../src/lm/cache";
import { Command, CommanderError } from "commander";
import { withLMOptions } from "../src/cli/args";
import { lmSettingProblem, pickLMSettings, resolveLMSettings } from "../src/repro/lm-settings";
import { createRuntime, lmRecord } from "../src/repro/runtime";
import { parseSuiteConfig, resolveSuite } from "../src/repro/suite-config";

const suite = { name: "t", systems: ["toy"], methods: "all", seeds: [0], worlds: [0], preset: "quick" };

test("defaults: 120 s per attempt, 5 retries, Retry-After up to 60 s; the cache off for SimLM, read-write for real endpoints", () => {
  assert.deepEqual(resolveLMSettings("simlm"), { timeout: 120, retries: 5, maxRetryAfter: 60, cache: "off" });
  assert.deepEqual(resolveLMSettings("openai", { timeout: 5, cache: "read-only" }), { timeout: 5, retries: 5, maxRetryAfter: 60, cache: "read-only" });
  assert.deepEqual(pickLMSettings({ timeout: 3, retries: undefined, json: true } as never), { timeout: 3 });
});

test("each setting rejects what it cannot mean", () => {
  for (const [name, bad] of [
    ["timeout", 0],
    ["timeout", -1],
    ["timeout", "5"],
    ["retries", 1.5],
    ["retries", -1],
    ["maxRetryAfter", Number.POSITIVE_INFINITY],
    ["cache", "replay"],
  ] as const) {
    assert.ok(lmSettingProblem(name, bad), `${name}=${String(bad)}`);
  }
  for (const [name, good] of [
    ["timeout", 0.5],
    ["retries", 0],
    ["maxRetryAfter", 0],
    ["cache", "read-only"],
  ] as const) {
    assert.equal(lmSettingProblem(name, good), undefined, `${name}=${String(good)}`);
  }
});

test("suite files carry the same keys, validated with the file, the field and the fix", () => {
  const parsed = parseSuiteConfig({ ...suite, timeout: 30, retries: 2, maxRetryAfter: 10, cache: "read-only" }, "s.json");
  assert.deepEqual(pickLMSettings(parsed), { timeout: 30, retries: 2, maxRetryAfter: 10, cache: "read-only" });
  assert.throws(() => parseSuiteConfig({ ...suite, retries: -2 }, "s.json"), /s\.json: field "retries" must be an integer ≥ 0/);
  assert.throws(() => parseSuiteConfig({ ...suite, cache: "yes" }, "s.json"), /s\.json: field "cache" must be one of read-write, read-only, off/);
  // Command-line values replace the suite's, one by one.
  const resolved = resolveSuite(parsed, { lm: { timeout: 5 } });
  assert.deepEqual(pickLMSettings(resolved), { timeout: 5, retries: 2, maxRetryAfter: 10, cache: "read-only" });
});

test("a bad --timeout, --retries, --max-retry-after or --cache is one line naming the flag", () => {
  for (const [flag, value, problem] of [
    ["--timeout", "0", "must be a number of seconds > 0"],
    ["--retries", "two", "must be an integer ≥ 0"],
    ["--max-retry-after", "-1", "must be a number of seconds ≥ 0"],
    ["--cache", "sometimes", "must be one of read-write, read-only, off"],
  ]) {
    const written: string[] = [];
    const command = withLMOptions(new Command("t").exitOverride().configureOutput({ writeErr: (s) => void written.push(s) }));
    assert.throws(() => command.parse([flag!, value!], { from: "user" }), CommanderError, flag);
    assert.match(written.join(""), new RegExp(`${flag} ${problem} \\(got "${value}"\\)`), flag);
  }
  const parsed = withLMOptions(new Command("t")).parse(["--timeout", "2.5", "--retries", "0", "--max-retry-after", "600", "--cache", "read-only"], { from: "user" });
  assert.deepEqual(pickLMSettings(parsed.opts()), { timeout: 2.5, retries: 0, maxRetryAfter: 600, cache: "read-only" });
});

test("the runtime builds its client from the settings and records them; a read-only miss stops the run", async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "lm-settings-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const rt = createRuntime({ system: "toy", lm: { timeout: 7, retries: 1, cache: "read-only" }, cacheDir: dir });
  assert.deepEqual(lmRecord(rt), {
    timeout: 7,
    retries: 1,
    maxRetryAfter: 60,
    cache: "read-only",
    retryCounts: { count: 0, waitMs: 0, byCause: {}, exhausted: 0 },
    cacheCorrupted: 0,
  });
  assert.equal(rt.client.cache?.mode, "read-only");
  await assert.rejects(rt.system.run(rt.data.test[0]!, rt.ctx), (err: unknown) => err instanceof CacheMissError && err instanceof FatalRunError && err.message.includes(dir));
});
