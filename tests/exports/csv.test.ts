// The CSV encoder and file, the query-string filters, file names and the step
// runner: pure modules, tested directly.
import { describe, expect, it } from 'vitest';
import { csvCell, csvFile, csvRow } from '../../functions/orders-export/csv.ts';
import { exportFileName, parseExportQuery } from '../../functions/orders-export/filters.ts';

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

  // Threat: CSV formulas that survive. Spreadsheets skip leading spaces before deciding that a
  // cell is a formula, and those in `;`-separated locales split an unquoted `x;=1+2` in two.
  it.each([
    ['  =1+2', "'  =1+2"],
    [' +1+1', "' +1+1"],
    ['\u00a0-2+3', "'\u00a0-2+3"],
    [' \t@SUM(A1)', "' \t@SUM(A1)"],
    ['\uFF1D1+2', "'\uFF1D1+2"],
  ])('formula-like text after leading whitespace %j is neutralised with an apostrophe', (value, expected) => {
    expect(csvCell(value)).toBe(expected);
  });

  it.each([
    ['x;=1+2', '"x;=1+2"'],
    ['a;b', '"a;b"'],
    ['Moi Avenue 12, Nairobi', '"Moi Avenue 12, Nairobi"'],
    ['  =A1;=B1', `"'  =A1;=B1"`],
  ])('a cell holding a separator (%j) is quoted, so no locale splits it into a formula cell', (value, expected) => {
    expect(csvCell(value)).toBe(expected);
  });

  it('writes numbers as numbers, even negative ones, and null as empty', () => {
    expect(csvRow([1.5, -2, null, undefined, 'x'])).toBe('1.5,-2,,,x\r\n');
  });
});

async function read(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(new Uint8Array(await new Response(stream).arrayBuffer()));
}

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
      controller.close();
    },
  });
}

describe('csvFile', () => {
  it('starts with the UTF-8 BOM and the header, then the rows as they come', async () => {
    const bytes = new Uint8Array(await new Response(csvFile(['a', 'b'], streamOf(['1,x\r\n', '2,"y,z"\r\n']))).arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(new TextDecoder().decode(bytes.slice(3))).toBe('a,b\r\n1,x\r\n2,"y,z"\r\n');
  });

  it('an empty export is the BOM and the header only', async () => {
    expect(await read(csvFile(['only'], streamOf([])))).toBe('\uFEFFonly\r\n');
  });

  it('reads the rows only as the reader asks, and cancels them with the file', async () => {
    let pulled = 0;
    let cancelled = false;
    const rows = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(65536));
      },
      cancel() {
        cancelled = true;
      },
    }, { highWaterMark: 1 });
    const reader = csvFile(['i'], rows).getReader();
    await reader.read();
    await reader.read();
    await reader.cancel();
    expect(pulled).toBeLessThanOrEqual(4);
    expect(cancelled).toBe(true);
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
    ['a day that does not exist', `business_id=${business}&to=2026-02-30`],
    ['a job id among the filters', `business_id=${business}&job_id=${business}`],
  ])('refuses %s with a 400 naming the field', (_label, query) => {
    let thrown: unknown;
    try {
      q(query);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ status: 400, code: 'INVALID_INPUT' });
    expect((thrown as { details: unknown[] }).details.length).toBeGreaterThan(0);
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
