// RFC 4180 CSV: CRLF line ends, fields quoted when they hold a comma, quote, CR or LF, quotes
// doubled. Text cells that a spreadsheet would run as a formula (starting with =, +, -, @,
// tab, CR or LF) get a leading apostrophe (OWASP "CSV injection"). Pure.

export const UTF8_BOM = '\uFEFF';
export const CRLF = '\r\n';

export type CsvValue = string | number | bigint | boolean | null | undefined;

const FORMULA_START = /^[=+\-@\t\r\n]/;
const NEEDS_QUOTES = /[",\r\n]/;

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

/**
 * A byte stream of the BOM, the header row and one row per item, pulled as the reader asks
 * (so a slow client holds back the database reads instead of filling memory).
 */
export function csvStream<T>(
  header: readonly string[],
  rows: AsyncIterable<T>,
  toCells: (row: T) => readonly CsvValue[],
  onDone?: (rowCount: number) => void,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const iterator = rows[Symbol.asyncIterator]();
  let count = 0;
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(encoder.encode(UTF8_BOM + csvRow(header)));
        return;
      }
      // Batches rows into one chunk of roughly 64 KiB: fewer, larger writes.
      let chunk = '';
      while (chunk.length < 65536) {
        const next = await iterator.next();
        if (next.done) {
          if (chunk) controller.enqueue(encoder.encode(chunk));
          controller.close();
          onDone?.(count);
          return;
        }
        count++;
        chunk += csvRow(toCells(next.value));
      }
      controller.enqueue(encoder.encode(chunk));
    },
    async cancel() {
      await iterator.return?.();
    },
  }, { highWaterMark: 1 });
}
