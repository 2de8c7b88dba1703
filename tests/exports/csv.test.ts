// The CSV encoder, the keyset page loop, the query-string filters, file names and the step
// runner: pure modules, tested directly.
import { describe, expect, it } from 'vitest';
import { csvCell, csvRow, csvStream } from '../../functions/orders-export/csv.ts';
import { exportFileName, parseExportQuery } from '../../functions/orders-export/filters.ts';
import { keysetPages } from '../../functions/orders-export/pages.ts';

describe('csvCell', () => {
  it.each([
    ['plain', 'plain'],
    ['with, comma', '"with, comma"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\r\nlines', '"two\r\nlines"'],
    ['line\nfeed', '"line\nfeed"'],
    ['', ''],
    ['Ünïcödé ✓', 'Ünïcödé ✓'],
  ])('%j is written as %j', (value, expected) => {
    expect(csvCell(value)).toBe(expected);
  });

  it.each([
    ['=HYPERLINK("http://evil")', `"'=HYPERLINK(""http://evil"")"`],
    ['+1+1', "'+1+1"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tcmd', "'\tcmd"],
    ['\rcmd', `"'\rcmd"`],
    ['\ncmd', `"'\ncmd"`],
  ])('formula-like text %j is neutralised with an apostrophe', (value, expected) => {
    expect(csvCell(value)).toBe(expected);
  });

  it('writes numbers as numbers, even negative ones, and null as empty', () => {
    expect(csvRow([1.5, -2, null, undefined, 'x'])).toBe('1.5,-2,,,x\r\n');
  });
});

async function read(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(new Uint8Array(await new Response(stream).arrayBuffer()));
}

async function* items<T>(values: T[]) {
  yield* values;
}

describe('csvStream', () => {
  it('starts with the UTF-8 BOM and the header, ends every row with CRLF, and counts rows', async () => {
    let counted = -1;
    const stream = csvStream(['a', 'b'], items([[1, 'x'], [2, 'y,z']]), (row) => row, (n) => (counted = n));
    const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(new TextDecoder().decode(bytes.slice(3))).toBe('a,b\r\n1,x\r\n2,"y,z"\r\n');
    expect(counted).toBe(2);
  });

  it('an empty export is the BOM and the header only', async () => {
    expect(await read(csvStream(['only'], items([]), (row: string[]) => row))).toBe('\uFEFFonly\r\n');
  });

  it('pulls rows only as the reader asks for them', async () => {
    let produced = 0;
    async function* many() {
      for (let i = 0; i < 1_000_000; i++) {
        produced++;
        yield [i, 'some text to fill the chunk'];
      }
    }
    const reader = csvStream(['i', 't'], many(), (row) => row).getReader();
    await reader.read();
    await reader.read();
    await reader.cancel();
    // One chunk is about 64 KiB: a few thousand rows, not the million.
    expect(produced).toBeGreaterThan(0);
    expect(produced).toBeLessThan(10_000);
  });
});

describe('keysetPages', () => {
  const rows = Array.from({ length: 25 }, (_, i) => ({ id: i }));
  const reader = (calls: Array<number | null>) => (after: number | null, limit: number) => {
    calls.push(after);
    return Promise.resolve(rows.filter((r) => after === null || r.id > after).slice(0, limit));
  };

  it('reads every row once, page after page, starting each page after the last row', async () => {
    const calls: Array<number | null> = [];
    const seen: number[] = [];
    for await (const row of keysetPages(reader(calls), (r) => r.id, 10)) seen.push(row.id);
    expect(seen).toEqual(rows.map((r) => r.id));
    expect(calls).toEqual([null, 9, 19, 24]);
  });

  it('keeps reading after a short page, and stops at the first empty one', async () => {
    const calls: Array<number | null> = [];
    // A reader that returns fewer rows than asked while more remain.
    const shortPages = (after: number | null, limit: number) => {
      calls.push(after);
      return Promise.resolve(rows.filter((r) => after === null || r.id > after).slice(0, Math.min(limit, 3)));
    };
    const seen: number[] = [];
    for await (const row of keysetPages(shortPages, (r) => r.id, 10)) seen.push(row.id);
    expect(seen).toEqual(rows.map((r) => r.id));
    expect(calls.at(-1)).toBe(24);
  });

  it('stops after a full last page with one more empty read', async () => {
    const calls: Array<number | null> = [];
    let count = 0;
    for await (const _ of keysetPages(reader(calls), (r) => r.id, 5)) count++;
    expect(count).toBe(25);
    expect(calls).toEqual([null, 4, 9, 14, 19, 24]);
  });

  it('refuses a page size that is not a positive integer', async () => {
    await expect(keysetPages(reader([]), (r) => r.id, 0).next()).rejects.toThrow('pageSize');
  });
});

describe('parseExportQuery', () => {
  const business = '6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f';
  const q = (query: string) => parseExportQuery(new URLSearchParams(query));

  it('turns dates into a half-open UTC range that includes the whole `to` day', () => {
    expect(q(`business_id=${business}&from=2026-11-01&to=2026-11-30&status=paid`)).toEqual({
      businessId: business, from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z', status: 'paid', orderId: null,
    });
  });

  it('takes timestamps with offsets as given', () => {
    expect(q(`business_id=${business}&from=2026-11-01T08:00:00%2B03:00`).from).toBe('2026-11-01T05:00:00.000Z');
  });

  it.each([
    ['no business', ''],
    ['a business that is not a UUID', 'business_id=shop'],
    ['an unknown status', `business_id=${business}&status=lost`],
    ['a date that is not one', `business_id=${business}&from=yesterday`],
    ['an impossible date', `business_id=${business}&from=2026-13-45`],
    ['from after to', `business_id=${business}&from=2026-11-10&to=2026-11-01`],
    ['an order id that is not a UUID', `business_id=${business}&order_id=42`],
    ['an unknown parameter', `business_id=${business}&limit=5`],
    ['a repeated parameter', `business_id=${business}&status=paid&status=shipped`],
  ])('refuses %s', (_label, query) => {
    expect(() => q(query)).toThrow();
  });
});

describe('exportFileName', () => {
  it('names the business, the range, the status and the day of the export', () => {
    const filters = { businessId: 'b', from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z', status: 'pending_payment' as const, orderId: null };
    expect(exportFileName('mama-mboga', filters, new Date('2026-11-24T12:00:00Z')))
      .toBe('orders-mama-mboga-from-2026-11-01-until-2026-12-01-pending-payment-2026-11-24.csv');
  });
  it('keeps only safe characters from the slug', () => {
    const filters = { businessId: 'b', from: null, to: null, status: null, orderId: null };
    expect(exportFileName('a"b;c', filters, new Date('2026-11-24T00:00:00Z'))).toBe('orders-abc-2026-11-24.csv');
  });
});
