/**
 * Strict mode: serve-sim serves named aliases only, as a real multi-model endpoint does, and a
 * reply under an alias is exactly the aliased SimLM model's reply in process.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import OpenAI from "openai";
import { strictAliases } from "../src/cli/serve-sim";
import { OracleStore } from "../src/data/oracle";
import { OpenAIProvider } from "../src/lm/openai-provider";
import { serveSim, type SimServer } from "../src/lm/sim/server";
import { SimLM } from "../src/lm/sim/simlm";
import { toyEntry } from "../src/systems/toy";
import { recordToyRequests, type RecordedCall } from "./serve-sim-toy-requests";

const ALIASES = { "gpt-4o-mini": "sim-s", "gpt-4o": "sim-m", "claude-3-5-sonnet-20241022": "sim-l", "text-embedding-3-small": "sim-s" };
let simlm: SimLM;
let server: SimServer;
let sdk: OpenAI;
/** Requests the toy system sends (SimLM model names), recorded in process. */
let recorded: RecordedCall[];

before(async () => {
  const oracles = new OracleStore();
  toyEntry.registerOracles(oracles, {});
  simlm = new SimLM({ world: 1, oracles });
  server = await serveSim({ provider: simlm, aliases: ALIASES });
  sdk = new OpenAI({ baseURL: server.url, apiKey: "unused", maxRetries: 0 });
  recorded = await recordToyRequests(simlm, toyEntry.load({}).train.slice(0, 4));
});
after(() => server.close());

test("a reply under an alias is the aliased model's in-process reply, reported under the alias", async () => {
  const remote = new OpenAIProvider({ baseURL: server.url, env: {} });
  const aliasOf = (model: string) => Object.entries(ALIASES).find(([name, target]) => target === model && !name.startsWith("text-"))?.[0];
  let compared = 0;
  for (const { request, meta } of recorded) {
    const alias = aliasOf(request.model);
    if (alias === undefined) continue;
    const local = await simlm.chat(request, meta);
    const viaAlias = await remote.chat({ ...request, model: alias }, meta);
    assert.deepEqual(viaAlias, { ...local, model: alias }, `${meta.skill} on ${meta.exampleId} as ${alias}`);
    compared++;
  }
  assert.ok(compared >= 4, `the toy system's calls were compared (${compared})`);
});

test("a model name that is not an alias gets 404 model_not_found, SimLM's own names included", async () => {
  for (const model of ["gpt-5-nonexistent", "sim-m"]) {
    const res = await fetch(`${server.url}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
    });
    assert.equal(res.status, 404, model);
    const body = (await res.json()) as { error: { code: string; type: string; param: string; message: string } };
    assert.equal(body.error.code, "model_not_found");
    assert.equal(body.error.type, "invalid_request_error");
    assert.equal(body.error.param, "model");
    assert.ok(body.error.message.includes(model) && body.error.message.includes("gpt-4o-mini"), "the message names the model and what is served");
  }
  await assert.rejects(sdk.embeddings.create({ model: "text-embedding-ada-002", input: "x" }), (e: unknown) => e instanceof OpenAI.NotFoundError);
});

test("models lists the aliases, and embeddings answer under an alias", async () => {
  const ids: string[] = [];
  for await (const m of sdk.models.list()) ids.push(m.id);
  assert.deepEqual(ids, Object.keys(ALIASES));
  assert.equal((await sdk.models.retrieve("gpt-4o")).id, "gpt-4o");
  await assert.rejects(sdk.models.retrieve("sim-m"), (e: unknown) => e instanceof OpenAI.NotFoundError && /model_not_found/.test(JSON.stringify(e.error)));
  const embedded = await sdk.embeddings.create({ model: "text-embedding-3-small", input: ["alpha", "beta"], encoding_format: "float" });
  assert.equal(embedded.model, "text-embedding-3-small");
  assert.deepEqual(
    embedded.data.map((d) => d.embedding),
    await simlm.embed(["alpha", "beta"]),
  );
});

test("an alias naming a model the provider does not serve stops serve-sim before it listens", async () => {
  await assert.rejects(serveSim({ provider: simlm, aliases: { "gpt-4o": "sim-q" } }), /alias "gpt-4o" names "sim-q".*sim-m/);
  await assert.rejects(serveSim({ provider: simlm, aliases: {} }), /at least one alias/);
});

test("--aliases FILE and --alias flags combine; bad files and repeated names are one clear line", (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "serve-sim-aliases-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, "aliases.json");
  writeFileSync(file, JSON.stringify({ "gpt-4o-mini": "sim-s" }));
  assert.equal(strictAliases(undefined, {}), undefined, "no alias: not strict");
  assert.deepEqual(strictAliases(file, { "gpt-4o": "sim-l" }), { "gpt-4o-mini": "sim-s", "gpt-4o": "sim-l" });
  assert.deepEqual(strictAliases(undefined, { "gpt-4o": "sim-l" }), { "gpt-4o": "sim-l" });
  assert.throws(() => strictAliases(file, { "gpt-4o-mini": "sim-m" }), /--alias gpt-4o-mini: also given in --aliases/);
  writeFileSync(file, "{ not json");
  assert.throws(() => strictAliases(file), (e: Error) => e.message.startsWith(`--aliases ${file}: cannot read it as JSON`) && !e.message.includes("\n"));
  writeFileSync(file, JSON.stringify(["gpt-4o"]));
  assert.throws(() => strictAliases(file), /must be a JSON object such as/);
  writeFileSync(file, JSON.stringify({ "gpt-4o": 3 }));
  assert.throws(() => strictAliases(file), /alias "gpt-4o" must map to a SimLM model name \(got 3\)/);
  assert.throws(() => strictAliases(path.join(dir, "missing.json")), /missing\.json: cannot read it/);
});
