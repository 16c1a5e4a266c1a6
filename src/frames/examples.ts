import * as aq from "arquero";
import { EXAMPLE_COLUMNS, examplesCsv, type ExampleRow } from "../core/per-example";
import { csvTable, readCsvTable, type ColumnTypes } from "./csv";

/**
 * Per-example evaluations (core/per-example.ts; `optimas eval --csv` writes the same columns) as
 * arquero tables: id, inputs, output, gold, score, pass_scores, failed_passes, failure. An example
 * whose every pass failed has a null score, never 0, so `op.mean("score")` is over the examples
 * that ran.
 */

const EXAMPLE_TYPES: ColumnTypes = { ...Object.fromEntries(EXAMPLE_COLUMNS.map((c) => [c, "text"])), score: "number", failed_passes: "number" };

/** Rows in memory (an evaluation) as the table their CSV reads back to. */
export function examplesTable(rows: readonly ExampleRow[]): aq.ColumnTable {
  return csvTable(examplesCsv(rows), EXAMPLE_TYPES, "per-example rows");
}

/** A per-example CSV (`optimas eval --csv FILE`). */
export function loadExamples(file: string): aq.ColumnTable {
  return readCsvTable(file, EXAMPLE_TYPES);
}
