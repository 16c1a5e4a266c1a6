/**
 * simlm@1 stays selectable and reproduces bit for bit. test/simlm-v1-replay.json.gz was captured
 * at commit 6a36d33, before simlm@2 existed, by wrapping SimLM.complete during small evals of
 * every system and toy optimize runs of textgrad, opro, mipro and optimas (its `source` field
 * says exactly which); it holds each request and the SHA-256 of its reply. Run-level numbers are
 * not compared: the project's protocol (sample-index ranges, test passes) changed after the
 * capture, so the same run now sends other requests; each request still gets v1's exact reply.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { gunzipSync } from "node:zlib";
import { OracleStore } from "../src/data/oracle";
import { SimLM } from "../src/lm/sim/simlm";
import type { ChatMeta, ChatRequest } from "../src/core/lm-types";
import { createRuntime } from "../src/repro/runtime";
import { getSystem } from "../src/systems/registry";
import { resolveSettings } from "../src/systems/settings";

interface RecordedCall {
  world: number;
  system: string;
  request: ChatRequest;
  meta: ChatMeta;
  sha256: string;
  usage: { promptTokens: number; completionTokens: number };
  costUsd: number;
  latencyMs: number;
}

interface Replay {
  source: string;
  calls: RecordedCall[];
}

const replay = JSON.parse(gunzipSync(readFileSync(path.join(__dirname, "simlm-v1-replay.json.gz"))).toString("utf8")) as Replay;
// The captured BigCodeBench eval ran on the stdlib-fast subset.
const CAPTURED_SETTINGS: Record<string, Record<string, string>> = { bigcodebench: { subset: "stdlib-fast" } };

test("simlm@1 replays every captured request with the same reply, usage, cost and latency", () => {
  const sims = new Map<string, SimLM>();
  const simFor = (system: string, world: number): SimLM => {
    const key = `${system}/${world}`;
    let sim = sims.get(key);
    if (!sim) {
      const oracles = new OracleStore();
      const entry = getSystem(system);
      entry.registerOracles(oracles, resolveSettings(entry, "simlm", CAPTURED_SETTINGS[system]));
      sims.set(key, (sim = new SimLM({ world, oracles, version: "simlm@1" })));
    }
    return sim;
  };
  const skills = new Set(replay.calls.map((c) => c.meta.skill));
  assert.ok(replay.calls.length > 600 && skills.size >= 17, `${replay.calls.length} calls over ${skills.size} skills`);
  for (const call of replay.calls) {
    const out = simFor(call.system, call.world).complete(call.request, call.meta);
    const where = `${call.system} world ${call.world} ${call.meta.skill} ${call.meta.exampleId ?? ""}`;
    assert.equal(createHash("sha256").update(out.text).digest("hex"), call.sha256, where);
    assert.deepEqual(out.usage, call.usage, where);
    assert.equal(out.costUsd, call.costUsd, where);
    assert.equal(out.latencyMs, call.latencyMs, where);
  }
});

test("the simlm-version setting selects simlm@1 for a system's runtime", () => {
  const rt = createRuntime({ system: "toy", world: 3, settings: { "simlm-version": "v1" } });
  assert.match(rt.backendLabel, /^simlm@1, world 3/);
});

test("the default is simlm@2; simlm@2 draws another world than simlm@1", () => {
  const rt = createRuntime({ system: "toy" });
  assert.match(rt.backendLabel, /^simlm@2, world 0/);
  assert.notEqual(new SimLM({ world: 0 }).world.id, new SimLM({ world: 0, version: "simlm@1" }).world.id);
  assert.throws(() => createRuntime({ system: "toy", settings: { "simlm-version": "v3" } }), /setting "simlm-version" must be v1 or v2 \(got "v3"\)/);
});
