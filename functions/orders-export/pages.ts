// Reads a result set in keyset pages: each page starts after the last row of the previous one,
// so every page is an index range scan. Rows are handed on one at a time as the page arrives and
// never collected into an array: a page held whole would outlive several young-generation
// collections and be promoted, which is what made the export's memory grow with the page size.
// A short page does not prove the end (a page reader may cap what it scans), so only an empty
// page stops. Pure.

export type PageReader<Row, Cursor> = (after: Cursor | null, limit: number, onRow: (row: Row) => void) => Promise<void>;

/** Reads page after page, giving each row to `onRow`; yields once per page with its row count. */
export async function* keysetPages<Row, Cursor>(
  readPage: PageReader<Row, Cursor>,
  cursorOf: (row: Row) => Cursor,
  pageSize: number,
  onRow: (row: Row) => void,
): AsyncGenerator<number, void, undefined> {
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new Error('pageSize must be a positive integer');
  let after: Cursor | null = null;
  for (;;) {
    let count = 0;
    let last: Row | undefined;
    await readPage(after, pageSize, (row) => {
      count++;
      last = row;
      onRow(row);
    });
    if (count === 0) return;
    yield count;
    after = cursorOf(last as Row);
  }
}
