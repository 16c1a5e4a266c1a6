import { acquireDirLock } from "../src/core/dir-lock";

/**
 * Test helper process (not a test): takes the lock of the directory given as argv[2], recording
 * argv[3] as its command, prints "locked", then waits to be signalled. Modes (argv[4]): "throw"
 * throws instead of waiting (a crash releases the lock too); "graceful" first handles SIGINT
 * itself, as `optimas reproduce` does (prints "stopping", exits 7 a moment later).
 */
const [dir, command, mode] = process.argv.slice(2);
if (mode === "graceful") {
  process.once("SIGINT", () => {
    process.stdout.write("stopping\n");
    setTimeout(() => process.exit(7), 50);
  });
}
acquireDirLock(dir!, { command: command! });
process.stdout.write("locked\n");
if (mode === "throw") throw new Error("the holder crashed");
setInterval(() => undefined, 60_000);
