/**
 * A problem with a data file that the user can fix: one line naming the file, the 1-based line
 * (when the problem is in one row), the field, what is wrong and how to fix it.
 */
export class DataError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly field: string | undefined,
    readonly problem: string,
    readonly fix: string,
  ) {
    const where = [file, line === undefined ? undefined : `line ${line}`, field === undefined ? undefined : `field "${field}"`]
      .filter((part) => part !== undefined)
      .join(", ");
    super(`${where}: ${problem}; ${fix}`);
    this.name = "DataError";
  }
}

/** The usual fix for a damaged or foreign copy of a dataset file. */
export function refetchFix(dataset: string): string {
  return `fix the file or restore the original with \`optimas data fetch ${dataset}\` (then check it with \`optimas data check\`)`;
}
