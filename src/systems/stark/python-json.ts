/**
 * The parts of Python's `json.loads`, `float()` and `round()` that the reference final scorer's
 * behaviour depends on, so that the same LLM reply gives the same scores here as there.
 */

/** A parsed JSON value; objects keep their keys in insertion order (Python dicts do, JS objects reorder integer keys). */
export type PyJson = null | boolean | number | string | PyJson[] | Map<string, PyJson>;

class PyJsonError extends Error {}

/**
 * `json.loads`: standard JSON plus `NaN`, `Infinity` and `-Infinity`; control characters inside
 * strings are errors (strict mode); a repeated key keeps its first position and its last value.
 * Throws on anything else, including text after the value.
 */
export function pyJsonLoads(text: string): PyJson {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const fail = (what: string): never => {
    throw new PyJsonError(`${what} at character ${i + 1}`);
  };
  const literal = (word: string, value: PyJson): PyJson => {
    if (!text.startsWith(word, i)) fail("unexpected token");
    i += word.length;
    return value;
  };
  const string = (): string => {
    i++;
    let out = "";
    for (;;) {
      const ch = text[i];
      if (ch === undefined) fail("unterminated string");
      if (ch === '"') break;
      if (ch!.charCodeAt(0) < 0x20) fail("invalid control character");
      if (ch !== "\\") {
        out += ch;
        i++;
        continue;
      }
      const esc = text[i + 1];
      const simple: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
      if (esc !== undefined && esc in simple) {
        out += simple[esc];
        i += 2;
      } else if (esc === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
        out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
        i += 6;
      } else {
        fail("invalid escape");
      }
    }
    i++;
    return out;
  };
  const value = (): PyJson => {
    ws();
    const ch = text[i];
    if (ch === "{") {
      i++;
      const map = new Map<string, PyJson>();
      ws();
      if (text[i] === "}") {
        i++;
        return map;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail("expected a property name in double quotes");
        const key = string();
        ws();
        if (text[i] !== ":") fail("expected ':'");
        i++;
        map.set(key, value());
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "}") {
          i++;
          return map;
        } else fail("expected ',' or '}'");
      }
    }
    if (ch === "[") {
      i++;
      const list: PyJson[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return list;
      }
      for (;;) {
        list.push(value());
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "]") {
          i++;
          return list;
        } else fail("expected ',' or ']'");
      }
    }
    if (ch === '"') return string();
    if (ch === "t") return literal("true", true);
    if (ch === "f") return literal("false", false);
    if (ch === "n") return literal("null", null);
    if (ch === "N") return literal("NaN", Number.NaN);
    if (ch === "I") return literal("Infinity", Number.POSITIVE_INFINITY);
    if (text.startsWith("-Infinity", i)) return literal("-Infinity", Number.NEGATIVE_INFINITY);
    const number = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/.exec(text.slice(i));
    if (!number) return fail("expecting value");
    i += number[0].length;
    return Number(number[0]);
  };
  const result = value();
  ws();
  if (i < text.length) fail("extra data");
  return result;
}

const DIGITS = "\\d(?:_?\\d)*";
const PY_FLOAT_TEXT = new RegExp(`^[+-]?(?:(?:${DIGITS})?\\.${DIGITS}|${DIGITS}\\.?)(?:[eE][+-]?${DIGITS})?$`);
const PY_SPECIAL = /^([+-]?)(nan|inf|infinity)$/i;

/** Python's `float(x)` on a parsed JSON value; undefined where Python raises (None, lists, dicts, bad strings). */
export function pyFloat(x: PyJson): number | undefined {
  if (typeof x === "number") return x;
  if (typeof x === "boolean") return x ? 1 : 0;
  if (typeof x !== "string") return undefined;
  const t = x.trim();
  const special = PY_SPECIAL.exec(t);
  if (special) return special[2]!.toLowerCase() === "nan" ? Number.NaN : special[1] === "-" ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  return PY_FLOAT_TEXT.test(t) ? Number(t.replace(/_/g, "")) : undefined;
}

/**
 * Python's `round(x, 2)`: the correctly rounded value of the exact binary number, halves to even.
 * `toFixed` is correctly rounded except on exact ties, where it rounds away from zero; a double
 * is an exact tie at two decimals only when 8x is an odd integer (x = n + 1/8, 3/8, 5/8, 7/8).
 */
export function pyRound2(x: number): number {
  if (!Number.isFinite(x)) return x;
  const eighths = x * 8;
  if (Number.isInteger(eighths) && eighths % 2 !== 0) {
    const lo = Math.floor(x * 100);
    return (lo % 2 === 0 ? lo : lo + 1) / 100;
  }
  return Number(x.toFixed(2));
}
