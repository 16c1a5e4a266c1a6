/** How commands print: human lines on stderr-free stdout, and with --json one JSON object last. */

export function printJsonLast(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
