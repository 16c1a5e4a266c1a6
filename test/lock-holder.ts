import { acquireDirLock } from "../src/core/dir-lock";

/**
 * Test helper process (not a test): takes the lock of the directory given as argv[2], recording
 * argv[3] as its command, prints "locked", then waits to be signalled; with argv[4] = "throw" it
 * throws instead of waiting, to show that a crash releases the lock too.
 */
const [dir, command, mode] = process.argv.slice(2);
acquireDirLock(dir!, { command: command! });
process.stdout.write("locked\n");
if (mode === "throw") throw new Error("the holder crashed");
setInterval(() => undefined, 60_000);
