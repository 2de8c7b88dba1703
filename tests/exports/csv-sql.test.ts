// The export's cells as Postgres writes them (functions/orders-export/lines.ts) against csvCell,
// the rules the export has always followed: the same neutralised text for every formula-like
// value, quoted; and the reader of COPY's binary framing, over real COPY output cut anywhere.
import { describe, expect, it } from 'vitest';
import { csvCell } from '../../functions/orders-export/csv.ts';
import { binaryCopyRows, neutralisedSql, writtenCellSql } from '../../functions/orders-export/lines.ts';
import { superuser } from '../support/db.ts';

const values = [
  'plain', 'with, comma', 'say "hi"', 'two\r\nlines', 'line\nfeed', '', 'Ünïcödé ✓', 'Tomatoes', 'kg',
  '=HYPERLINK("http://evil")', '+1+1', '-2+3', '@SUM(A1)', '\tcmd', '\rcmd', '\ncmd',
  '  =1+2', ' +1+1', '\u00a0-2+3', ' \t@SUM(A1)', '\uFF1D1+2', '\u3000\uFF0B1', '\u2007@x', '\uFEFF=1',
  'x;=1+2', 'a;b', 'Moi Avenue 12, Nairobi', '  =A1;=B1', 'a = b', 'x-1', '{"city":"Nairobi"}',
];

/** csvCell's text before quoting. */
const neutralised = (value: string) => {
  const cell = csvCell(value);
  return cell.startsWith('"') ? cell.slice(1, -1).replace(/""/g, '"') : cell;
};

describe('the export\'s cells in SQL', () => {
  it.each(values.map((value) => [value]))('%j is neutralised as csvCell does it', async (value) => {
    const [{ cell }] = await superuser().unsafe(`select ${neutralisedSql('$1::text')} as cell`, [value]);
    expect(cell).toBe(neutralised(value));
  });

  it.each(values.map((value) => [value]))('%j is written quoted, quotes doubled, so no `;` or `,` splits it', async (value) => {
    const [{ cell }] = await superuser().unsafe(`select ${writtenCellSql('$1::text')} as cell`, [value]);
    expect(cell).toBe(`"${neutralised(value).replace(/"/g, '""')}"`);
  });
});

describe('binaryCopyRows', () => {
  async function copyBinary(statement: string): Promise<Uint8Array> {
    const source = await superuser().unsafe(`copy (${statement}) to stdout with (format binary)`).readable();
    const parts: Uint8Array[] = [];
    for await (const part of source) parts.push(new Uint8Array(part as Uint8Array));
    return new Uint8Array(await new Blob(parts as BlobPart[]).arrayBuffer());
  }
  const statement = `select n, repeat('é,"x"' || chr(13) || chr(10), n) from generate_series(0, 40) n`;

  it.each([1, 2, 3, 7, 64, 100_000])('takes each row\'s text and count out of the framing, in pieces of %i bytes', async (size) => {
    const bytes = await copyBinary(statement);
    let text: number[] = [];
    const rows: Array<[number, string]> = [];
    const parse = binaryCopyRows((piece) => text.push(...piece), (lines) => {
      rows.push([lines, new TextDecoder().decode(new Uint8Array(text))]);
      text = [];
    });
    for (let at = 0; at < bytes.length; at += size) parse(bytes.subarray(at, at + size));
    expect(rows).toEqual(Array.from({ length: 41 }, (_, n) => [n, 'é,"x"\r\n'.repeat(n)]));
  });

  it('refuses what is not COPY binary data of two fields', async () => {
    expect(() => binaryCopyRows(() => {}, () => {})(new TextEncoder().encode('1\tx\n'.repeat(10)))).toThrow('Not COPY binary');
    const three = await copyBinary(`select 1, 'a', 'b'`);
    expect(() => binaryCopyRows(() => {}, () => {})(three)).toThrow('3 fields');
  });
});
