/**
 * Fault-rate runs end identically: toy Optimas through an LMClient against serve-sim answering
 * 20% and 40% of calls with injected faults (429, 500, 503, dropped connections, bodies cut
 * short) ends with the same final state, validation and test scores and system-run counts as a
 * fault-free run, with the retries recorded; so does a 40% run stopped mid-iteration by a fatal
 * error and resumed.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RunContext } from "../src/core/context";
import { FatalRunError } from "../src/core/failure";
import { RunDir } from "../src/core/run-dir";
import { OracleStore } from "../src/data/oracle";
import { LMClient } from "../src/lm/client";
import { OpenAIProvider } from "../src/lm/openai-provider";
import { serveSim, type SimServer } from "../src/lm/sim/server";
import { SimLM } from "../src/lm/sim/simlm";
import type { ChatMeta, ChatRequest, LMProvider } from "../src/core/lm-types";
import { resolveConfig } from "../src/optimas/config";
import { runOptimas, type Checkpoint } from "../src/optimas/optimize";
import { toyEntry } from "../src/systems/toy";
import { TEST_SAMPLE_INDEX } from "../src/core/test-score";

const WORLD = 1;
// Heads are optimized against even before they are known to beat chance: with 8 training examples
// they rarely are, and an end state with accepted changes is what the fault runs must reproduce.
const SMALL = { iterations: 4, initialTrainSize: 8, perIterationNewData: 4, valSize: 10, lrfEpochs: 5, promptCandidates: 2, localTrainSize: 6, requireAlignedLrf: false };
const CONFIG = resolveConfig("quick", { metaModel: "sim-l", judgeModel: "sim-l" }, SMALL);
const data = toyEntry.load({});
const servers: SimServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function simServer(faultRate: number): Promise<SimServer> {
  const oracles = new OracleStore();
  toyEntry.registerOracles(oracles, {});
  const server = await serveSim({ provider: new SimLM({ world: WORLD, oracles }), faultRate, seed: 11 });
  servers.push(server);
  return server;
}

/** Stops the run with a fatal error at its `at`-th chat call (an endpoint that went away mid-iteration). */
function failingAt(provider: LMProvider, at: number): LMProvider {
  let calls = 0;
  return {
    id: provider.id,
    abortable: provider.abortable,
    chat: (request: ChatRequest, meta: ChatMeta, signal?: AbortSignal) => {
      if (++calls === at) return Promise.reject(new FatalRunError(provider.id, "answered HTTP 401", "check OPENAI_API_KEY"));
      return provider.chat(request, meta, signal);
    },
    embed: (texts, model, signal) => provider.embed(texts, model, signal),
    models: () => provider.models(),
  };
}

interface Outcome {
  cp: Checkpoint;
  state: unknown;
  test: number;
  systemRuns: number;
  retries: number;
}

/** One session of toy Optimas in `dir` (a second call resumes it); short backoffs keep the test fast. */
async function session(provider: LMProvider, dir: string): Promise<Outcome> {
  const client = new LMClient({ provider, baseDelayMs: 1, maxDelayMs: 4 });
  const ctx = new RunContext({ lm: client, seed: 5 });
  const system = toyEntry.build({});
  const out = await runOptimas({ system, train: data.train, val: data.val, ctx, config: CONFIG, runDir: new RunDir(dir) });
  out.lrf.dispose();
  const test = await system.evaluate(data.test.slice(0, 20), out.evalCtx.withStage("test").withSample(TEST_SAMPLE_INDEX), { repeats: 2 });
  return { cp: out.checkpoint, state: system.stateDict(), test: test.mean, systemRuns: ctx.budget.spent.systemRuns, retries: client.ledger.snapshot().retries.count };
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "optimas-faults-"));
const remote = (server: SimServer) => new OpenAIProvider({ baseURL: server.url, env: {} });

/** What must not depend on faults: everything but wall times and what retries leave (re-runs). */
function endState(o: Outcome): unknown {
  const failures = o.cp.failures!;
  const withoutReruns = (f: typeof failures.collection) => ({ ...f, reruns: 0 });
  return {
    state: o.state,
    best: o.cp.best,
    initialVal: o.cp.initialVal,
    history: o.cp.history.map((h) => ({ component: h.component, valBefore: h.valBefore, valAfter: h.valAfter, accepted: h.accepted, systemRuns: h.budget.systemRuns })),
    failures: { collection: withoutReruns(failures.collection), validation: withoutReruns(failures.validation) },
    test: o.test,
    systemRuns: o.systemRuns,
  };
}

let reference: Outcome;

// In process: serve-sim-simlm.test.ts shows the HTTP path answers exactly as SimLM in process does.
test("fault-free reference", async () => {
  const oracles = new OracleStore();
  toyEntry.registerOracles(oracles, {});
  reference = await session(new SimLM({ world: WORLD, oracles }), tmp());
  assert.equal(reference.cp.status, "finished");
  assert.equal(reference.retries, 0);
  assert.ok(reference.cp.history.some((h) => h.accepted), "some change was accepted, so the end state says something");
});

for (const rate of [0.2, 0.4]) {
  test(`at fault rate ${rate} the run ends as the fault-free one, with its retries recorded`, async () => {
    const server = await simServer(rate);
    const faulty = await session(remote(server), tmp());
    const injected = Object.values(server.faults()).reduce((a, b) => a + b, 0);
    assert.ok(injected > 100, `faults were injected (${JSON.stringify(server.faults())})`);
    assert.ok(faulty.retries >= injected * 0.9, `retries recorded (${faulty.retries} for ${injected} faults)`);
    assert.deepEqual(endState(faulty), endState(reference));
    assert.equal(faulty.cp.failures!.validation.failed["retries-exhausted"] ?? 0, 0);
  });
}

test("at fault rate 0.4, a run stopped by a fatal error mid-iteration and resumed ends as the fault-free one", async () => {
  const server = await simServer(0.4);
  const dir = tmp();
  // About three quarters into the run's attempts: past initialization, inside an iteration.
  await assert.rejects(session(failingAt(remote(server), 1500), dir), FatalRunError);
  const stopped = new RunDir(dir).read<Checkpoint>("checkpoint.json", "checkpoint");
  assert.equal(stopped.status, "stopped");
  assert.match(stopped.error!, /answered HTTP 401; check OPENAI_API_KEY/);
  assert.ok(stopped.nextIteration > 0 && stopped.nextIteration < SMALL.iterations, `stopped inside the loop (next iteration ${stopped.nextIteration})`);
  const resumed = await session(remote(server), dir);
  assert.equal(resumed.cp.status, "finished");
  assert.equal(resumed.cp.error, undefined);
  assert.deepEqual(endState(resumed), endState(reference));
});
