import * as fs from "node:fs";
import * as path from "node:path";
import * as tfjs from "@tensorflow/tfjs";

export type Tf = typeof tfjs;

/** TensorFlow.js backends, in the order `loadTf` tries them: native GPU, WebGPU, wasm, cpu. */
export const BACKEND_ORDER = ["tensorflow", "webgpu", "wasm", "cpu"] as const;
export type TfBackend = (typeof BACKEND_ORDER)[number];

export interface BackendAttempt {
  backend: TfBackend;
  ok: boolean;
  /** Why it was unavailable, or what was started when ok. */
  reason: string;
}

export interface TfRuntime {
  tf: Tf;
  backend: TfBackend;
  /** Every backend tried, in order; all but the last failed. */
  attempts: BackendAttempt[];
}

export interface LoadTfOptions {
  /** Force one backend (no fallback; an unavailable one is an error). Default: env OPTIMAS_TF_BACKEND, else "auto". */
  backend?: TfBackend | "auto";
  /** Receives one line describing the choice, the first time a request is settled. */
  log?: (line: string) => void;
}

/** Starts one backend and returns the tf namespace to use, or throws with the reason it is unavailable. */
export type BackendStarter = (backend: TfBackend) => Promise<Tf>;

const settled = new Map<string, Promise<TfRuntime>>();

/**
 * Selects the fastest TensorFlow.js backend available and makes it current. Repeated calls with
 * the same request return the first result without trying again (and re-activate its backend if
 * someone switched away since); a different forced backend switches in-process, which is how the
 * benchmark compares wasm with cpu. tfjs backends are process-global.
 */
export async function loadTf(options: LoadTfOptions = {}): Promise<TfRuntime> {
  const requested = options.backend ?? backendFromEnv();
  let pending = settled.get(requested);
  if (!pending) {
    pending = chooseBackend(requested === "auto" ? BACKEND_ORDER : [requested], startBackend, requested !== "auto");
    settled.set(requested, pending);
    void pending.then((r) => options.log?.(describeRuntime(r)), () => undefined);
  }
  const runtime = await pending;
  if (runtime.tf.getBackend() !== runtime.backend) await runtime.tf.setBackend(runtime.backend);
  return runtime;
}

/**
 * Tries `candidates` in order with `start` and keeps the first that starts. With `strict`, the
 * single candidate must start; otherwise the last failure is an error only if none starts.
 */
export async function chooseBackend(candidates: readonly TfBackend[], start: BackendStarter, strict = false): Promise<TfRuntime> {
  const attempts: BackendAttempt[] = [];
  for (const backend of candidates) {
    try {
      const tf = await start(backend);
      attempts.push({ backend, ok: true, reason: `started (${tf.getBackend()})` });
      return { tf, backend, attempts };
    } catch (err) {
      attempts.push({ backend, ok: false, reason: firstLine(err) });
    }
  }
  const tried = attempts.map((a) => `${a.backend}: ${a.reason}`).join("; ");
  throw new Error(
    strict
      ? `tfjs backend "${candidates[0]}" was requested (by option or OPTIMAS_TF_BACKEND) but is unavailable (${tried}); request "auto" or another of ${BACKEND_ORDER.join(", ")}`
      : `no tfjs backend could start (${tried})`,
  );
}

/** One line for logs and run records: the backend in use and why the faster ones were skipped. */
export function describeRuntime(runtime: TfRuntime): string {
  const skipped = runtime.attempts.filter((a) => !a.ok).map((a) => `${a.backend}: ${a.reason}`);
  return `tfjs backend: ${runtime.backend}${skipped.length ? ` (skipped ${skipped.join("; ")})` : ""}`;
}

function backendFromEnv(): TfBackend | "auto" {
  const raw = process.env.OPTIMAS_TF_BACKEND?.trim();
  if (!raw) return "auto";
  if (raw === "auto" || (BACKEND_ORDER as readonly string[]).includes(raw)) return raw as TfBackend | "auto";
  throw new Error(`OPTIMAS_TF_BACKEND="${raw}" is not a tfjs backend; use one of ${BACKEND_ORDER.join(", ")} or auto`);
}

// tfjs prints a "you are running TensorFlow.js in Node.js" banner and initialization warnings
// unless production mode is on; those would be the stray console noise we promise not to make.
tfjs.enableProdMode();

async function startBackend(backend: TfBackend): Promise<Tf> {
  switch (backend) {
    case "tensorflow":
      return startNative();
    case "webgpu":
      return startWebGpu();
    case "wasm":
      return startWasm();
    case "cpu":
      return activate(tfjs, "cpu");
  }
}

async function activate(tf: Tf, name: string): Promise<Tf> {
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend("${name}") failed to initialize`);
  await tf.ready();
  return tf;
}

async function startNative(): Promise<Tf> {
  const pkg = "@tensorflow/tfjs-node-gpu";
  let tf: Tf;
  try {
    tf = require(pkg) as Tf;
  } catch (err) {
    if (isMissingModule(err, pkg)) throw new Error(`${pkg} is not installed (an opt-in GPU install)`);
    throw new Error(`${pkg} failed to load: ${firstLine(err)}`);
  }
  return activate(tf, "tensorflow");
}

interface NodeWebGpu {
  create(options: string[]): { requestAdapter(): Promise<unknown> };
  globals: Record<string, unknown>;
}

async function startWebGpu(): Promise<Tf> {
  if (!canResolve("webgpu")) throw new Error("the webgpu package is not installed");
  // Dawn prints a native warning when it cannot load the Vulkan loader; checking first keeps
  // CPU-only machines quiet.
  if (process.platform === "linux" && !vulkanLoaderFound()) {
    throw new Error("no Vulkan loader (libvulkan.so.1) for Dawn; install libvulkan1 and a GPU driver");
  }
  const { create, globals } = require("webgpu") as NodeWebGpu;
  const gpu = create([]);
  if ((await gpu.requestAdapter()) === null) throw new Error("Dawn found no WebGPU adapter (no usable Vulkan GPU)");
  // @tensorflow/tfjs-backend-webgpu registers itself only if `navigator.gpu` exists when it is
  // first required, and uses the WebGPU constants (GPUBufferUsage, …) as globals.
  Object.assign(globalThis, globals);
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (!g.navigator) g.navigator = { gpu };
  else if (!g.navigator.gpu) Object.defineProperty(g.navigator, "gpu", { value: gpu, configurable: true });
  require("@tensorflow/tfjs-backend-webgpu");
  return activate(tfjs, "webgpu");
}

let wasmPathsSet = false;

async function startWasm(): Promise<Tf> {
  const wasm = require("@tensorflow/tfjs-backend-wasm") as typeof import("@tensorflow/tfjs-backend-wasm");
  if (!wasmPathsSet) {
    // In Node the wasm binaries must be read from the package's dist folder, not fetched.
    wasm.setWasmPaths(`${path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"))}/`);
    wasmPathsSet = true;
  }
  // The wasm module's Emscripten runtime adds process handlers that re-throw every uncaught error
  // and unhandled rejection from inside its own minified file, so Node prints ~40 KB of source
  // instead of the error. They serve only Emscripten's exit(), which tfjs never calls: drop them.
  const before = new Set(PROCESS_EVENTS.flatMap(listenersOf));
  try {
    return await activate(tfjs, "wasm");
  } finally {
    for (const event of PROCESS_EVENTS) {
      for (const listener of listenersOf(event)) if (!before.has(listener)) process.removeListener(event, listener);
    }
  }
}

const PROCESS_EVENTS = ["uncaughtException", "unhandledRejection"] as const;
type ProcessListener = (...args: unknown[]) => void;

function listenersOf(event: (typeof PROCESS_EVENTS)[number]): ProcessListener[] {
  return process.listeners(event as "uncaughtException") as ProcessListener[];
}

function vulkanLoaderFound(): boolean {
  const dirs = (process.env.LD_LIBRARY_PATH ?? "").split(":").filter(Boolean);
  if (dirs.some((d) => fs.existsSync(path.join(d, "libvulkan.so.1")))) return true;
  try {
    return fs.readFileSync("/etc/ld.so.cache").includes("libvulkan.so.1");
  } catch {
    return false;
  }
}

function canResolve(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

function isMissingModule(err: unknown, pkg: string): boolean {
  return (err as { code?: string }).code === "MODULE_NOT_FOUND" && String((err as Error).message).includes(`'${pkg}'`);
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split("\n")[0]!.trim();
}
