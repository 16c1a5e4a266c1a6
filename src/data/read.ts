import { readFileSync } from "node:fs";
import Papa from "papaparse";
import { DataError, refetchFix } from "./errors";

/** Reads a data file whole; a missing, unreadable or empty file is a DataError naming the fix. */
export function readDataBuffer(file: string, dataset: string): Buffer {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new DataError(file, undefined, undefined, `cannot be read (${code})`, `run \`optimas data check\` to see where ${dataset} files are looked for, or \`optimas data fetch ${dataset}\``);
  }
  if (data.length === 0) throw emptyFileError(file, dataset);
  return data;
}

/** A data file without a single record (0 bytes, blank lines, a header alone): never a dataset of no examples. */
function emptyFileError(file: string, dataset: string): DataError {
  return new DataError(file, undefined, undefined, "is empty (no records)", refetchFix(dataset));
}

export function readDataText(file: string, dataset: string): string {
  return readDataBuffer(file, dataset).toString("utf8");
}

/** One record of a data file with its 1-based line, and typed field accessors that fail with file, line and field. */
export class Row {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly record: Readonly<Record<string, unknown>>,
    readonly dataset: string,
    /** Prefix of nested fields in messages ("context." for fields of `context`). */
    private readonly prefix = "",
  ) {}

  error(field: string, problem: string): DataError {
    return new DataError(this.file, this.line, this.prefix + field, problem, refetchFix(this.dataset));
  }

  value(field: string): unknown {
    if (!Object.prototype.hasOwnProperty.call(this.record, field) || this.record[field] === undefined) throw this.error(field, "is missing");
    return this.record[field];
  }

  string(field: string): string {
    const v = this.value(field);
    if (typeof v !== "string") throw this.error(field, `must be a string, found ${describe(v)}`);
    if (v.trim() === "") throw this.error(field, "is empty");
    return v;
  }

  stringArray(field: string): string[] {
    const v = this.value(field);
    if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) throw this.error(field, `must be an array of strings, found ${describe(v)}`);
    return v as string[];
  }

  intArray(field: string): number[] {
    const v = this.value(field);
    if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x))) throw this.error(field, `must be an array of integers, found ${describe(v)}`);
    return v as number[];
  }

  /** A non-negative integer written as text (CSV cells are text). */
  intText(field: string): number {
    const v = this.string(field).trim();
    if (!/^\d+$/.test(v)) throw this.error(field, `must be a non-negative integer, found ${JSON.stringify(v)}`);
    return Number(v);
  }

  /** A nested object, read with the same location and a dotted field prefix. */
  nested(field: string): Row {
    const v = this.value(field);
    if (v === null || typeof v !== "object" || Array.isArray(v)) throw this.error(field, `must be an object, found ${describe(v)}`);
    return new Row(this.file, this.line, v as Record<string, unknown>, this.dataset, `${this.prefix}${field}.`);
  }
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array of other values";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `a ${typeof v}`;
}

/** JSON Lines: one object per non-empty line. */
export function jsonlRows(file: string, text: string, dataset: string): Row[] {
  const rows: Row[] = [];
  const lines = text.split("\n");
  lines.forEach((raw, i) => {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new DataError(file, i + 1, undefined, `is not valid JSON (${(err as Error).message})`, refetchFix(dataset));
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new DataError(file, i + 1, undefined, "must hold one JSON object", refetchFix(dataset));
    }
    rows.push(new Row(file, i + 1, value as Record<string, unknown>, dataset));
  });
  if (rows.length === 0) throw emptyFileError(file, dataset);
  return rows;
}

/**
 * RFC-4180 CSV with a header row (fields may hold quoted newlines). Each row's line is the line on
 * which the record starts, so errors point where an editor shows the row.
 */
export function csvRows(file: string, text: string, dataset: string, columns: readonly string[]): Row[] {
  const records: { cells: string[]; line: number; errors: Papa.ParseError[] }[] = [];
  let offset = 0;
  let line = 1;
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;
  Papa.parse<string[]>(body, {
    header: false,
    delimiter: ",",
    skipEmptyLines: true,
    step: (result) => {
      // The cursor is the offset just past this record: the record starts where the previous one ended.
      let start = offset;
      while (start < body.length && (body[start] === "\n" || body[start] === "\r")) {
        if (body[start] === "\n") line++;
        start++;
      }
      records.push({ cells: result.data, line, errors: result.errors });
      for (let i = start; i < result.meta.cursor; i++) if (body[i] === "\n") line++;
      offset = result.meta.cursor;
    },
  });
  const [header, ...data] = records;
  if (!header || data.length === 0) throw emptyFileError(file, dataset);
  for (const column of columns) {
    if (!header.cells.includes(column)) {
      throw new DataError(file, 1, column, `column is missing from the header (found: ${header.cells.join(", ")})`, refetchFix(dataset));
    }
  }
  return data.map(({ cells, line: at, errors }) => {
    const quoteError = errors.find((e) => e.type === "Quotes");
    if (quoteError) throw new DataError(file, at, undefined, `has a malformed quoted field (${quoteError.message})`, refetchFix(dataset));
    if (cells.length !== header.cells.length) {
      throw new DataError(file, at, undefined, `has ${cells.length} fields, the header has ${header.cells.length}`, refetchFix(dataset));
    }
    const record: Record<string, string> = {};
    header.cells.forEach((name, i) => (record[name] = cells[i]!));
    return new Row(file, at, record, dataset);
  });
}
