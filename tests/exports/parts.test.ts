// Export files within the upload limit: gzip parts of whole rows, each a complete .csv.gz.
import { randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MIN_PART_BYTES, writeGzipParts } from '../../functions/orders-export/parts.ts';

const encoder = new TextEncoder();
const HEADER = '\uFEFForder_id,product_name,quantity\r\n';

/** A CSV in chunks of about 64 KiB of whole rows, as csvStream writes it. */
function csvOf(rows: number): { chunks: Uint8Array[]; text: string } {
  const lines = Array.from({ length: rows }, (_, i) => `${randomUUID()},"Beans, grade ${i % 7}",${i % 13}\r\n`);
  const chunks: Uint8Array[] = [];
  let text = HEADER;
  let pending = HEADER;
  for (const line of lines) {
    pending += line;
    text += line;
    if (pending.length >= 65536) {
      chunks.push(encoder.encode(pending));
      pending = '';
    }
  }
  if (pending) chunks.push(encoder.encode(pending));
  return { chunks, text };
}

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let next = 0;
  return new ReadableStream({
    pull(controller) {
      if (next < chunks.length) controller.enqueue(chunks[next++]);
      else controller.close();
    },
  });
}

async function collect(chunks: Uint8Array[], maxPartBytes: number) {
  const stored = new Map<number, Buffer>();
  const started: number[] = [];
  const parts = await writeGzipParts(streamOf(chunks), encoder.encode(HEADER), maxPartBytes, async (part, body) => {
    stored.set(part, Buffer.from(await new Response(body).arrayBuffer()));
  }, (part) => started.push(part));
  return { parts, stored, started };
}

describe('writeGzipParts', () => {
  it('a file under the limit is one gzip part holding the whole CSV', async () => {
    const csv = csvOf(200);
    const { parts, stored } = await collect(csv.chunks, MIN_PART_BYTES);
    expect(parts).toBe(1);
    expect(gunzipSync(stored.get(1)!).toString('utf8')).toBe(csv.text);
  });

  it('a file over the limit is cut into parts, none above it, each a complete CSV with the header, together every row once in order', async () => {
    const csv = csvOf(40_000); // about 2.3 MB of CSV, 1 MB or so gzipped
    const { parts, stored, started } = await collect(csv.chunks, MIN_PART_BYTES);
    expect(parts).toBeGreaterThan(2);
    expect(started).toEqual(Array.from({ length: parts }, (_, i) => i + 1));
    const texts = [...stored.keys()].sort((a, b) => a - b).map((part) => {
      const bytes = stored.get(part)!;
      expect(bytes.length).toBeLessThanOrEqual(MIN_PART_BYTES);
      // Parts are filled: only the last may be far below the limit.
      if (part < parts) expect(bytes.length).toBeGreaterThan(MIN_PART_BYTES * 0.5);
      return gunzipSync(bytes).toString('utf8');
    });
    for (const text of texts) expect(text.startsWith(HEADER)).toBe(true);
    expect(HEADER + texts.map((text) => text.slice(HEADER.length)).join('')).toBe(csv.text);
  });

  it('a failed upload ends the export with its error, after telling which parts were started', async () => {
    const csv = csvOf(40_000);
    const started: number[] = [];
    const writing = writeGzipParts(streamOf(csv.chunks), encoder.encode(HEADER), MIN_PART_BYTES, async (part, body) => {
      if (part === 2) {
        await body.cancel();
        throw new Error('Storage upload failed with 413');
      }
      await new Response(body).arrayBuffer();
    }, (part) => started.push(part));
    await expect(writing).rejects.toThrow('Storage upload failed with 413');
    expect(started).toEqual([1, 2]);
  });

  it('refuses a part size too small for a group of rows', async () => {
    await expect(writeGzipParts(streamOf([]), encoder.encode(HEADER), 1000, () => Promise.resolve())).rejects.toThrow('maxPartBytes');
  });
});
