import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import Redis from "ioredis";

/**
 * Test and bench helpers (not a test): a real `redis-server` on a free loopback port, without
 * persistence, stopped by `stop()` (a machine without redis-server fails with the install line),
 * and `optimas worker` processes with their output kept.
 */

export interface RedisServer {
  url: string;
  /** A client for inspecting the server (closed by stop()). */
  client: Redis;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startRedis(): Promise<RedisServer> {
  if (spawnSync("redis-server", ["--version"]).error) throw new Error("redis-server not found: install it with `apt-get install -y redis-server` (Debian; .ci/run does)");
  const port = await freePort();
  const server = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  const exited = new Promise((resolve) => server.once("exit", resolve));
  const client = new Redis({ host: "127.0.0.1", port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on("error", () => undefined);
  for (let tries = 0; ; tries++) {
    try {
      await client.connect();
      await client.ping();
      break;
    } catch (err) {
      if (tries >= 100 || server.exitCode !== null) throw new Error(`redis-server on port ${port} did not start: ${(err as Error).message}`);
      await sleep(50);
    }
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    client,
    stop: async () => {
      client.disconnect();
      server.kill("SIGKILL");
      await exited;
    },
  };
}

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the first line matching `pattern`. */
  line(pattern: RegExp): Promise<string>;
  exited: Promise<unknown>;
}

const CLI = path.join(__dirname, "..", "bin", "optimas.js");

/** Starts `optimas worker` with these arguments (after --queue), resolved once it serves the queue. */
export async function startWorker(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [CLI, "worker", ...args], { stdio: ["ignore", "pipe", "pipe"], env });
  let text = "";
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const hear = (chunk: Buffer) => {
    text += chunk.toString();
    for (const w of [...waiters]) {
      const hit = text.split("\n").find((l) => w.pattern.test(l));
      if (hit !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(hit);
      }
    }
  };
  child.stdout!.on("data", hear);
  child.stderr!.on("data", hear);
  const worker: WorkerProcess = {
    child,
    output: () => text,
    exited,
    line: (pattern) =>
      new Promise((resolve, reject) => {
        waiters.push({ pattern, resolve });
        hear(Buffer.alloc(0));
        void exited.then(() => reject(new Error(`optimas worker exited before printing ${pattern}:\n${text}`)));
      }),
  };
  await worker.line(/serving queue/);
  return worker;
}
