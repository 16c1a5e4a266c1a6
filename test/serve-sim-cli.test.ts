/** The serve-sim command: its flags reach the server, and bad ones are one line with exit 2. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import OpenAI from "openai";
import { SimLM } from "../src/lm/sim/simlm";

const CLI = ["--import", "tsx", "src/cli/main.ts", "serve-sim", "--port", "0"];

test("serve-sim --alias and --set simlm-version serve that version under the alias only", async (t) => {
  const child = spawn(process.execPath, [...CLI, "--alias", "gpt-4o=sim-m", "--set", "simlm-version=v1", "--world", "2"], { stdio: ["ignore", "pipe", "pipe"] });
  t.after(() => {
    if (child.exitCode === null) child.kill("SIGTERM");
  });
  let stdout = "";
  child.stdout.setEncoding("utf8");
  while (!/serving at (\S+)/.test(stdout)) {
    const [chunk] = (await Promise.race([once(child.stdout, "data"), once(child, "exit").then(() => [""])])) as [string];
    if (chunk === "") assert.fail(`serve-sim exited before serving: ${stdout}`);
    stdout += chunk;
  }
  assert.match(stdout, /^simlm@1 world 2 /);
  const url = /serving at (\S+)/.exec(stdout)![1]!;
  const sdk = new OpenAI({ baseURL: url, apiKey: "unused", maxRetries: 0 });
  const ids: string[] = [];
  for await (const m of sdk.models.list()) ids.push(m.id);
  assert.deepEqual(ids, ["gpt-4o"]);
  const messages = [{ role: "user" as const, content: "Name a river." }];
  const reply = await sdk.chat.completions.create({ model: "gpt-4o", messages, temperature: 0 });
  const local = await new SimLM({ world: 2, version: "simlm@1" }).chat({ model: "sim-m", messages, temperature: 0 }, {});
  assert.equal(reply.choices[0]!.message.content, local.text);
  assert.equal(reply.model, "gpt-4o");
  child.kill("SIGTERM");
  await once(child, "exit");
});

test("a bad alias, alias file or SimLM version stops serve-sim with one line and exit 2", () => {
  for (const [args, expected] of [
    [["--alias", "gpt-4o=sim-q"], /^optimas: serve-sim: alias "gpt-4o" names "sim-q", which .* does not serve \(models: sim-xs, /],
    [["--aliases", "/nonexistent/aliases.json"], /^optimas: --aliases \/nonexistent\/aliases\.json: cannot read it as JSON/],
    [["--set", "simlm-version=v9"], /^optimas: --set simlm-version=v9: unknown SimLM version "v9"/],
  ] as const) {
    const run = spawnSync(process.execPath, [...CLI, ...args], { encoding: "utf8" });
    assert.equal(run.status, 2, `${args.join(" ")}: ${run.stderr}`);
    assert.match(run.stderr, expected);
    assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
  }
});
