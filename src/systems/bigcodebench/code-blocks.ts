/**
 * Reading code out of chat replies, as the reference system does. Models wrap code in Markdown
 * fences; the executor and the metric need plain Python.
 */

const FENCE = /```([\w+-]*)[ \t]*\n([\s\S]*?)```/g;

/**
 * The code of a reply: the longest fenced block, or the whole reply when it has no fence. A
 * simplification of `bigcodebench.sanitize` (the largest block that parses as Python, cut down to
 * the definitions `task_func` reaches), which needs a Python parser.
 */
export function extractCode(reply: string): string {
  let best: string | undefined;
  for (const m of reply.matchAll(FENCE)) if (best === undefined || m[2]!.length > best.length) best = m[2]!;
  return best ?? reply;
}

/** The reference's unit-test extraction: the first ```python block, or "" when there is none. */
export function firstPythonBlock(reply: string): string {
  for (const m of reply.matchAll(FENCE)) if (m[1] === "python") return m[2]!;
  return "";
}
