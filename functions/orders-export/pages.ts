// Reads a result set in keyset pages: each page starts after the last row of the previous one,
// so every page is an index range scan and memory holds one page at a time. A short page does
// not prove the end (a page reader may cap what it scans), so only an empty page stops. Pure.

export type PageReader<Row, Cursor> = (after: Cursor | null, limit: number) => Promise<Row[]>;

export async function* keysetPages<Row, Cursor>(
  readPage: PageReader<Row, Cursor>,
  cursorOf: (row: Row) => Cursor,
  pageSize: number,
): AsyncGenerator<Row, void, undefined> {
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new Error('pageSize must be a positive integer');
  let after: Cursor | null = null;
  for (;;) {
    const page = await readPage(after, pageSize);
    if (page.length === 0) return;
    yield* page;
    after = cursorOf(page[page.length - 1]);
  }
}
