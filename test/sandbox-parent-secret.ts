/**
 * Imported first by sandbox-containment.test.ts, so an API key is in this process's environment
 * before the sandbox module loads and before any of its servers starts: a leak of the parent's
 * environment, at load or at spawn, would carry it to the program.
 */
export const PARENT_SECRET = `sk-parent-${process.pid}`;
process.env.OPENAI_API_KEY = PARENT_SECRET;
