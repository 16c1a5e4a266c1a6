import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { BACKEND_ORDER, chooseBackend, describeRuntime, loadTf, type TfBackend } from "../src/reward/backend";

const ROOT = path.resolve(__dirname, "..");

/** Runs `loadTf()` in a fresh process (tfjs backends are process-global) and returns its result and output. */
function loadTfInChild(env: Record<string, string> = {}) {
  const script = `require("./src/reward/backend").loadTf().then(
    (r) => process.stdout.write(JSON.stringify({ backend: r.backend, attempts: r.attempts })),
    (e) => process.stdout.write(JSON.stringify({ error: e.message })));`;
  const child = spawnSync(process.execPath, ["--import", "tsx", "-e", script], {
    cwd: ROOT,
    env: { ...process.env, OPTIMAS_TF_BACKEND: "", ...env },
    encoding: "utf8",
  });
  assert.equal(child.status, 0, child.stderr);
  return { result: JSON.parse(child.stdout) as { backend?: TfBackend; attempts?: { backend: string; ok: boolean; reason: string }[]; error?: string }, stderr: child.stderr };
}

test("backends are tried in order until one starts; every failure keeps its reason", async () => {
  const tried: TfBackend[] = [];
  const runtime = await chooseBackend(BACKEND_ORDER, async (backend) => {
    tried.push(backend);
    if (backend !== "cpu") throw new Error(`${backend} is unavailable here\nsecond line dropped`);
    return tf;
  });
  assert.deepEqual(tried, ["tensorflow", "webgpu", "wasm", "cpu"]);
  assert.equal(runtime.backend, "cpu");
  assert.deepEqual(
    runtime.attempts.map((a) => [a.backend, a.ok, a.reason.startsWith(a.ok ? "started" : `${a.backend} is unavailable here`)]),
    [["tensorflow", false, true], ["webgpu", false, true], ["wasm", false, true], ["cpu", true, true]],
  );
  assert.ok(runtime.attempts.every((a) => !a.reason.includes("second line")));
  assert.match(describeRuntime(runtime), /^tfjs backend: cpu \(skipped tensorflow: tensorflow is unavailable here; webgpu: .*; wasm: .*\)$/);
});

test("a forced backend that cannot start is an error naming it and the alternatives", async () => {
  await assert.rejects(
    chooseBackend(["webgpu"], async () => {
      throw new Error("no adapter");
    }, true),
    /tfjs backend "webgpu" was requested \(by option or OPTIMAS_TF_BACKEND\) but is unavailable \(webgpu: no adapter\); request "auto" or another of tensorflow, webgpu, wasm, cpu/,
  );
});

test("on this machine loadTf lands on wasm after native and WebGPU are recorded as unavailable, silently", () => {
  const { result, stderr } = loadTfInChild();
  assert.equal(result.backend, "wasm");
  assert.deepEqual(result.attempts!.map((a) => [a.backend, a.ok]), [["tensorflow", false], ["webgpu", false], ["wasm", true]]);
  assert.match(result.attempts![0]!.reason, /@tensorflow\/tfjs-node-gpu is not installed/);
  assert.match(result.attempts![1]!.reason, /Vulkan|adapter|webgpu/);
  assert.equal(stderr, "", "no banner, warning or stray output");
});

test("with a Vulkan loader present but no GPU, WebGPU finds no adapter and the fallback goes on", () => {
  // An empty file named like the loader gets past the pre-check; Dawn then fails to load it.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-vulkan-"));
  fs.writeFileSync(path.join(dir, "libvulkan.so.1"), "");
  try {
    const { result } = loadTfInChild({ LD_LIBRARY_PATH: dir });
    assert.equal(result.backend, "wasm");
    assert.equal(result.attempts![1]!.backend, "webgpu");
    assert.match(result.attempts![1]!.reason, /no WebGPU adapter/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("OPTIMAS_TF_BACKEND forces one backend; an unknown value is one clear error", () => {
  const forced = loadTfInChild({ OPTIMAS_TF_BACKEND: "cpu" }).result;
  assert.equal(forced.backend, "cpu");
  assert.deepEqual(forced.attempts!.map((a) => a.backend), ["cpu"]);
  const bad = loadTfInChild({ OPTIMAS_TF_BACKEND: "cuda" }).result;
  assert.equal(bad.error, 'OPTIMAS_TF_BACKEND="cuda" is not a tfjs backend; use one of tensorflow, webgpu, wasm, cpu or auto');
});

test("after wasm starts, an unhandled error is reported by Node, not re-thrown from the wasm module's source", () => {
  const script = `require("./src/reward/backend").loadTf({ backend: "wasm" }).then(() => Promise.reject(new Error("boom")));`;
  const child = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: ROOT, encoding: "utf8" });
  assert.equal(child.status, 1);
  assert.match(child.stderr, /Error: boom/);
  assert.ok(child.stderr.length < 2000 && !child.stderr.includes("WasmBackendModule"), `stderr was ${child.stderr.length} chars`);
});

test("loadTf is idempotent, re-activates its backend, and switches in-process when another is forced", async () => {
  const lines: string[] = [];
  const first = await loadTf({ backend: "auto", log: (l) => lines.push(l) });
  const again = await loadTf({ backend: "auto", log: (l) => lines.push(l) });
  assert.equal(again, first, "the same settled runtime, without new attempts");
  assert.equal(lines.length, 1);
  assert.equal(lines[0], describeRuntime(first));

  const cpu = await loadTf({ backend: "cpu" });
  assert.equal(tf.getBackend(), "cpu");
  assert.deepEqual(cpu.attempts.map((a) => a.backend), ["cpu"]);
  await loadTf({ backend: "auto" });
  assert.equal(tf.getBackend(), first.backend);
});
