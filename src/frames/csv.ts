import * as fs from "node:fs";
import * as aq from "arquero";
import Papa from "papaparse";

/**
 * A CSV file as an arquero table with declared column types. A missing value is `null`, never 0:
 * an empty cell anywhere, and in a number column also "n/a", "NA" and "NaN" (arquero's aggregates
 * skip nulls, so a mean is over the values that exist). A number column holding anything else
 * throws with the file, column and row, so no text is ever read as a number.
 */

export type ColumnType = "number" | "text" | "boolean";
export type ColumnTypes = Readonly<Record<string, ColumnType>>;

const MISSING_NUMBERS = new Set(["", "n/a", "na", "nan"]);

function parseCell(raw: string | undefined, type: ColumnType, where: () => string): number | string | boolean | null {
  const cell = raw ?? "";
  if (type === "text") return cell === "" ? null : cell;
  if (type === "boolean") {
    if (cell === "") return null;
    if (cell === "1" || cell === "true") return true;
    if (cell === "0" || cell === "false") return false;
    throw new Error(`${where()}: "${cell}" is not a boolean (1, 0, true or false)`);
  }
  if (MISSING_NUMBERS.has(cell.trim().toLowerCase())) return null;
  const value = Number(cell);
  if (!Number.isFinite(value)) throw new Error(`${where()}: "${cell}" is not a number`);
  return value;
}

/** CSV text as a table: columns in the header's order, typed by `types` (a column not listed there gets `rest`). */
export function csvTable(text: string, types: ColumnTypes, source = "CSV", rest: ColumnType = "text"): aq.ColumnTable {
  const parsed = Papa.parse<string[]>(text.trim(), { delimiter: ",", skipEmptyLines: true });
  if (parsed.errors.length > 0) throw new Error(`${source}: ${parsed.errors[0]!.message} (row ${parsed.errors[0]!.row})`);
  const [header, ...rows] = parsed.data;
  if (header === undefined) throw new Error(`${source}: empty, not even a header`);
  const columns: Record<string, unknown[]> = {};
  header.forEach((name, c) => {
    const type = types[name] ?? rest;
    columns[name] = rows.map((row, r) => parseCell(row[c], type, () => `${source}, column "${name}", data row ${r + 1}`));
  });
  return aq.table(columns, header);
}

export function readCsvTable(file: string, types: ColumnTypes, rest: ColumnType = "text"): aq.ColumnTable {
  if (!fs.existsSync(file)) throw new Error(`${file}: no such file`);
  return csvTable(fs.readFileSync(file, "utf8"), types, file, rest);
}
