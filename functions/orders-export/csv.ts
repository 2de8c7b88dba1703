// RFC 4180 CSV: CRLF line ends, fields quoted when they hold a comma, semicolon, quote, CR or
// LF, quotes doubled. Text cells that a spreadsheet would run as a formula (starting with =,
// +, -, @ or their full-width forms, also after leading whitespace, or with tab, CR or LF) get
// a leading apostrophe (OWASP "CSV injection"). Semicolons are quoted too: spreadsheets in
// locales whose list separator is `;` split an unquoted `x;=1+2` and run its second half. Pure.

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

/** Text gathered into UTF-8 chunks of about 64 KiB: fewer, larger writes. */
class Chunks {
  #text = '';
  #ready: Uint8Array[] = [];
  readonly #encoder = new TextEncoder();

  write(text: string): void {
    this.#text += text;
    if (this.#text.length >= 65536) this.#flush();
  }

  /** Every chunk written so far, the last partial one included. */
  take(): Uint8Array[] {
    this.#flush();
    const ready = this.#ready;
    this.#ready = [];
    return ready;
  }

  #flush(): void {
    if (this.#text) this.#ready.push(this.#encoder.encode(this.#text));
    this.#text = '';
  }
}

/**
 * A byte stream of the BOM, the header row and one row per item. `batches` writes rows through
 * the function it is given and yields after each batch (a page); a batch is read only when the
 * reader has taken the previous one, so a slow client holds back the database reads instead of
 * filling memory.
 */
export function csvStream<T>(
  header: readonly string[],
  batches: (writeRow: (row: T) => void) => AsyncIterator<unknown>,
  toCells: (row: T) => readonly CsvValue[],
  onDone?: (rowCount: number) => void,
): ReadableStream<Uint8Array> {
  const chunks = new Chunks();
  let count = 0;
  const iterator = batches((row) => {
    count++;
    chunks.write(csvRow(toCells(row)));
  });
  chunks.write(UTF8_BOM + csvRow(header));
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const done = started ? (await iterator.next()).done : false;
      started = true;
      for (const chunk of chunks.take()) controller.enqueue(chunk);
      if (done) {
        controller.close();
        onDone?.(count);
      }
    },
    async cancel() {
      await iterator.return?.();
    },
  }, { highWaterMark: 1 });
}
