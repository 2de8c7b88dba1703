// RFC 4180 CSV: CRLF line ends, fields quoted when they hold a comma, semicolon, quote, CR or
// LF, quotes doubled. Text cells that a spreadsheet would run as a formula (starting with =,
// +, -, @ or their full-width forms, also after leading whitespace, or with tab, CR or LF) get
// a leading apostrophe (OWASP "CSV injection"). Semicolons are quoted too: spreadsheets in
// locales whose list separator is `;` split an unquoted `x;=1+2` and run its second half. Pure.
// The export's rows are written by Postgres (lines.ts) by the same rules; these write its header
// and are the reference its tests hold the database's cells to.

export const UTF8_BOM = '\uFEFF';
export const CRLF = '\r\n';

export type CsvValue = string | number | bigint | boolean | null | undefined;

// Spreadsheets skip leading spaces before deciding that a cell is a formula.
const FORMULA_START = /^(?:[\t\r\n]|\s*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20])/;
const NEEDS_QUOTES = /[",;\r\n]/;

/** One cell. Numbers are written as they are; only text can carry a formula. */
export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string') return String(value);
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvRow(values: readonly CsvValue[]): string {
  return values.map(csvCell).join(',') + CRLF;
}

/** A CSV file: the BOM and the header row, then `rows` (whole CSV records) as they come. */
export function csvFile(header: readonly string[], rows: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = rows.getReader();
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(UTF8_BOM + csvRow(header)));
    },
    async pull(controller) {
      const { value, done } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 1 });
}
