/**
 * Real edits on Python source text for SimLM's code skills (skills/bigcodebench.ts): the mutation
 * operators that turn a canonical solution into the wrong programs a model writes, and the
 * selection and corruption of unit-test methods. Edits only touch code, never the inside of
 * string literals or comments, which a small lexer tells apart.
 */

/** A uniform draw in [0, 1) (the skill's deterministic draws). */
export type Uniform = () => number;

const CODE = 0;
const STRING = 1;
const COMMENT = 2;

/** Per character: code, string literal or comment. f-strings count as strings as a whole. */
function classify(src: string): Uint8Array {
  const kind = new Uint8Array(src.length);
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === "#") {
      const end = lineEnd(src, i);
      kind.fill(COMMENT, i, end);
      i = end;
      continue;
    }
    const prefix = /^[rRbBuUfF]{0,2}(?="|')/.exec(src.slice(i, i + 3));
    if (prefix && (i === 0 || !/\w/.test(src[i - 1]!))) {
      const end = stringEnd(src, i + prefix[0].length);
      kind.fill(STRING, i, end);
      i = end;
      continue;
    }
    i++;
  }
  return kind;
}

function lineEnd(src: string, from: number): number {
  const nl = src.indexOf("\n", from);
  return nl < 0 ? src.length : nl;
}

/** End (exclusive) of the string literal whose quote starts at `q`; a backslash always skips one character. */
function stringEnd(src: string, q: number): number {
  const quote = src[q]!;
  const triple = src.startsWith(quote.repeat(3), q);
  const closing = triple ? quote.repeat(3) : quote;
  let i = q + closing.length;
  while (i < src.length) {
    if (src[i] === "\\") i += 2;
    else if (src.startsWith(closing, i)) return i + closing.length;
    else if (!triple && src[i] === "\n") return i;
    else i++;
  }
  return src.length;
}

interface Edit {
  start: number;
  end: number;
  replacement: string;
}

function applyEdit(src: string, e: Edit): string {
  return src.slice(0, e.start) + e.replacement + src.slice(e.end);
}

/** Matches of `re` that start at or after `from` and lie wholly in code. */
function codeMatches(src: string, kind: Uint8Array, re: RegExp, from: number): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  for (const m of src.matchAll(new RegExp(re.source, re.flags.includes("g") ? re.flags : `${re.flags}g`))) {
    if (m.index! < from) continue;
    let inCode = true;
    for (let k = m.index!; k < m.index! + m[0].length; k++) if (kind[k] !== CODE) inCode = false;
    if (inCode) out.push(m as RegExpExecArray);
  }
  return out;
}

/** One logical line of code: possibly several physical lines joined by open brackets or backslashes. */
interface Statement {
  start: number;
  /** Offset of the end of its last physical line (before the newline). */
  end: number;
  indent: string;
  /** The statement's code with comments removed and trailing space trimmed. */
  code: string;
}

/** The logical lines of `src`, in order (blank and comment-only lines are skipped). */
function statements(src: string, kind: Uint8Array = classify(src)): Statement[] {
  const out: Statement[] = [];
  let i = 0;
  while (i < src.length) {
    const end = lineEnd(src, i);
    const text = src.slice(i, end);
    const indent = /^[ \t]*/.exec(text)![0];
    const first = i + indent.length;
    if (first >= end || kind[first] !== CODE || src[first] === "#") {
      i = end + 1;
      continue;
    }
    let depth = 0;
    let j = i;
    let stmtEnd = end;
    for (;;) {
      const e = lineEnd(src, j);
      for (let k = j; k < e; k++) {
        if (kind[k] !== CODE) continue;
        const c = src[k]!;
        if (c === "(" || c === "[" || c === "{") depth++;
        else if (c === ")" || c === "]" || c === "}") depth = Math.max(0, depth - 1);
      }
      stmtEnd = e;
      // Open brackets, a trailing backslash or a newline inside a triple-quoted string continue it.
      const continued = depth > 0 || (e > j && src[e - 1] === "\\" && kind[e - 1] === CODE) || kind[e] === STRING;
      if (!continued || e >= src.length) break;
      j = e + 1;
    }
    let code = "";
    for (let k = first; k < stmtEnd; k++) if (kind[k] !== COMMENT) code += src[k];
    out.push({ start: i, end: stmtEnd, indent, code: code.trimEnd() });
    i = stmtEnd + 1;
  }
  return out;
}

const COMPOUND_HEADER = /^(?:async\s+)?(?:if|elif|else|for|while|try|except|finally|with|def|class)\b[\s\S]*:$/;

export const MUTATION_OPERATORS = ["operator-swap", "off-by-one", "boundary-flip", "dropped-statement", "syntax-error", "missing-entry-point"] as const;
export type MutationOperator = (typeof MUTATION_OPERATORS)[number];

const ARITHMETIC_SWAP: Record<string, string> = { "+": "-", "-": "+", "*": "/", "/": "*", "//": "/", "+=": "-=", "-=": "+=", and: "or", or: "and" };
const BOUNDARY_FLIP: Record<string, string> = { "<": "<=", "<=": "<", ">": ">=", ">=": ">" };
const UNARY_CONTEXT_WORDS = new Set(["return", "in", "not", "and", "or", "if", "elif", "else", "yield", "lambda", "is", "import", "print", "assert", "while", "for", "await"]);
const RENAMED_ENTRY_POINTS = ["solve", "solution", "main", "task_function"];

/** Whether the operator at `at` is binary: a value ends just before it (a name, a number, a closing bracket or quote). */
function followsValue(src: string, at: number): boolean {
  const before = src.slice(Math.max(0, at - 40), at).trimEnd();
  if (before === "" || !/[\w)\]}"']$/.test(before)) return false;
  if (/(?:^|[^\w.])[\d.]+[eE]$/.test(before)) return false; // the exponent's sign in 1e-5
  const word = /([A-Za-z_]\w*)$/.exec(before)?.[1];
  return word === undefined || !UNARY_CONTEXT_WORDS.has(word);
}

/** Every site where `operator` can change `code` at or after `from`. */
function mutationSites(code: string, from: number, operator: MutationOperator, entryPoint: string, kind: Uint8Array, u: Uniform): Edit[] {
  switch (operator) {
    case "operator-swap":
      return codeMatches(code, kind, /\*\*=?|\/\/=?|->|[+\-*/%@<>=!]=|\b(?:and|or)\b|[+\-*/]/g, from)
        .filter((m) => m[0] in ARITHMETIC_SWAP && (/^[a-z]/.test(m[0]) || m[0].endsWith("=") || followsValue(code, m.index!)))
        .map((m) => ({ start: m.index!, end: m.index! + m[0].length, replacement: ARITHMETIC_SWAP[m[0]]! }));
    case "off-by-one":
      return codeMatches(code, kind, /(?<![\w.])\d+(?![\w.])/g, from).map((m) => {
        const n = Number(m[0]);
        return { start: m.index!, end: m.index! + m[0].length, replacement: String(n > 0 && u() < 0.5 ? n - 1 : n + 1) };
      });
    case "boundary-flip":
      return codeMatches(code, kind, /<<=?|>>=?|->|<=|>=|<|>/g, from)
        .filter((m) => m[0] in BOUNDARY_FLIP)
        .map((m) => ({ start: m.index!, end: m.index! + m[0].length, replacement: BOUNDARY_FLIP[m[0]]! }));
    case "dropped-statement":
      // Replaced by `pass` rather than deleted, so a block it was alone in stays valid.
      return statements(code, kind)
        .filter((s) => s.start >= from && s.indent !== "" && !s.code.endsWith(":") && !/^(?:@|pass$|"|')/.test(s.code))
        .map((s) => ({ start: s.start, end: s.end, replacement: `${s.indent}pass` }));
    case "syntax-error": {
      const all = statements(code, kind);
      const inRegion = all.filter((s) => s.start >= from);
      const colons = inRegion.filter((s) => COMPOUND_HEADER.test(s.code)).map((s) => {
        // The header's last code character is its colon.
        let k = s.end - 1;
        while (k > s.start && (kind[k] !== CODE || /\s/.test(code[k]!))) k--;
        return { start: k, end: k + 1, replacement: "" };
      });
      if (colons.length > 0) return colons;
      // Without compound statements: a bracket opened before a statement and never closed.
      const target = inRegion[0] ?? all[all.length - 1];
      const at = target ? target.start + target.indent.length : 0;
      return [{ start: at, end: at, replacement: "(" }];
    }
    case "missing-entry-point":
      return codeMatches(code, kind, new RegExp(`\\bdef\\s+${entryPoint}\\b`, "g"), 0).map((m) => ({
        start: m.index!,
        end: m.index! + m[0].length,
        replacement: `def ${RENAMED_ENTRY_POINTS[Math.floor(u() * RENAMED_ENTRY_POINTS.length)]!}`,
      }));
  }
}

export interface Mutant {
  code: string;
  /** The operator that was applied (another one when the requested one had no site). */
  operator: MutationOperator;
}

/**
 * A mutant of `code`: `operator` applied at one site drawn by `u`, in the part of the code from
 * offset `from` on (the solution after the given prompt; renaming the entry point may touch the
 * prompt's `def`). When the operator has no site, the next operators in MUTATION_OPERATORS order
 * are tried; `syntax-error` always has one.
 */
export function mutate(code: string, from: number, operator: MutationOperator, entryPoint: string, u: Uniform): Mutant {
  const kind = classify(code);
  const start = MUTATION_OPERATORS.indexOf(operator);
  for (let k = 0; k < MUTATION_OPERATORS.length; k++) {
    const op = MUTATION_OPERATORS[(start + k) % MUTATION_OPERATORS.length]!;
    const sites = mutationSites(code, from, op, entryPoint, kind, u);
    if (sites.length > 0) return { code: applyEdit(code, sites[Math.floor(u() * sites.length)]!), operator: op };
  }
  throw new Error("unreachable: syntax-error always has a site");
}

/** A `TestCases` source cut into what surrounds the class and the class's members. */
export interface TestSuite {
  /** Everything before the class body (imports, helpers, the `class TestCases` line). */
  head: string;
  members: { text: string; testName: string | undefined }[];
  /** Everything after the class body. */
  tail: string;
}

/** Splits a unit-test source at its `class TestCases` members; undefined when it has no such class. */
export function splitTestSuite(src: string): TestSuite | undefined {
  const stmts = statements(src);
  const classAt = stmts.findIndex((s) => s.indent === "" && /^class\s+TestCases\b/.test(s.code));
  if (classAt < 0) return undefined;
  const header = stmts[classAt]!;
  const body: Statement[] = [];
  for (let k = classAt + 1; k < stmts.length && stmts[k]!.indent !== ""; k++) body.push(stmts[k]!);
  if (body.length === 0) return undefined;
  // Members are the statements at the body's first indentation; a decorator starts its method's member.
  const level = body.filter((s) => s.indent === body[0]!.indent);
  const starts = level.flatMap((s, k) => (k === 0 || !level[k - 1]!.code.startsWith("@") ? [k] : []));
  const bodyEnd = body[body.length - 1]!.end + 1;
  const members = starts.map((k, i) => {
    const next = starts[i + 1];
    const from = i === 0 ? header.end + 1 : level[k]!.start;
    const to = next === undefined ? bodyEnd : level[next]!.start;
    const name = level.slice(k, next).map((s) => /^(?:async\s+)?def\s+(\w+)/.exec(s.code)?.[1]).find((n) => n !== undefined);
    return { text: src.slice(from, to), testName: name?.startsWith("test") ? name : undefined };
  });
  return { head: src.slice(0, header.end + 1), members, tail: src.slice(bodyEnd) };
}

/** The suite with only `keep` of its test methods (helpers, setUp and tearDown stay). */
export function keepTests(suite: TestSuite, keep: ReadonlySet<string>): string {
  const members = suite.members.filter((m) => m.testName === undefined || keep.has(m.testName));
  return suite.head + members.map((m) => m.text).join("") + suite.tail;
}

const LITERAL_IN_ASSERTION = /(?<![\w.])\d+(?:\.\d+)?(?![\w.])|\bTrue\b|\bFalse\b/g;
const ASSERTION_FLIP: Record<string, string> = {
  assertEqual: "assertNotEqual",
  assertNotEqual: "assertEqual",
  assertTrue: "assertFalse",
  assertFalse: "assertTrue",
  assertIn: "assertNotIn",
  assertNotIn: "assertIn",
  assertIsNone: "assertIsNotNone",
  assertIsNotNone: "assertIsNone",
  assertIsInstance: "assertNotIsInstance",
};

/**
 * The suite with one expected value made wrong: a number, True/False in an assertion or an
 * `expected…` assignment of a test method changes, or an assertion is negated. Undefined when the
 * test methods assert nothing it can change.
 */
export function corruptExpectation(src: string, u: Uniform): string | undefined {
  const suite = splitTestSuite(src);
  if (!suite) return undefined;
  const offset = suite.head.length;
  const kind = classify(src);
  const edits: Edit[] = [];
  let at = offset;
  for (const member of suite.members) {
    if (member.testName !== undefined) {
      const memberSrc = member.text;
      for (const s of statements(memberSrc, classify(memberSrc))) {
        if (!/\bassert|^expect\w*\s*=/.test(s.code)) continue;
        const region = new RegExp(LITERAL_IN_ASSERTION.source, "g");
        for (const m of codeMatches(src, kind, region, at + s.start)) {
          if (m.index! > at + s.end) break;
          const v = m[0];
          const replacement = v === "True" ? "False" : v === "False" ? "True" : v.includes(".") ? `${Number(v.split(".")[0]) + 1}.${v.split(".")[1]}` : String(Number(v) + 1);
          edits.push({ start: m.index!, end: m.index! + v.length, replacement });
        }
        for (const m of codeMatches(src, kind, /\bself\.(assert\w+)\(/g, at + s.start)) {
          if (m.index! > at + s.end) break;
          const flip = ASSERTION_FLIP[m[1]!];
          if (flip) edits.push({ start: m.index! + 5, end: m.index! + 5 + m[1]!.length, replacement: flip });
        }
      }
    }
    at += member.text.length;
  }
  if (edits.length === 0) return undefined;
  return applyEdit(src, edits[Math.floor(u() * edits.length)]!);
}
