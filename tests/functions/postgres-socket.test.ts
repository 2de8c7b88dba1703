// The functions' Postgres socket: whole protocol messages out of a reused read buffer, whatever
// the reads split; writes in order; closing and failures as postgres.js expects them. Then
// postgres.js itself through the socket against the real database.
import net from 'node:net';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { type ByteConnection, MessageSocket, wholeMessagesLength } from '../../functions/_shared/postgres-socket.ts';
import { databaseUrl } from '../../scripts/lib/local-platform.ts';
import { dbPort } from '../support/db.ts';

/** A protocol message: type byte, int32 length (itself included), body. */
function message(type: string, body: Uint8Array | string): Uint8Array {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const out = new Uint8Array(5 + bytes.length);
  out[0] = type.charCodeAt(0);
  new DataView(out.buffer).setInt32(1, 4 + bytes.length);
  out.set(bytes, 5);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) out.set(part, (at += part.length) - part.length);
  return out;
}

/** Splits whole messages back out of a chunk, failing on a partial one. */
function messagesIn(chunk: Uint8Array): Uint8Array[] {
  const found: Uint8Array[] = [];
  for (let at = 0; at < chunk.length;) {
    const size = 1 + new DataView(chunk.buffer, chunk.byteOffset).getInt32(at + 1);
    if (at + size > chunk.length) throw new Error(`a partial message at byte ${at}`);
    found.push(chunk.slice(at, at + size));
    at += size;
  }
  return found;
}

/** Moves the front of `queue` into `into`, as much as fits; how many bytes moved. */
function takeInto(queue: Uint8Array[], into: Uint8Array): number {
  const n = Math.min(queue[0].length, into.length);
  into.set(queue[0].subarray(0, n));
  if (n === queue[0].length) queue.shift();
  else queue[0] = queue[0].subarray(n);
  return n;
}

/**
 * A connection that answers reads with `reads` (cut to the reader's room), then the end of the
 * stream, or with `holdOpen` nothing more until it is closed; it records writes.
 */
function scriptedConnection(reads: Array<Uint8Array | Error>, { writeAtMost = Infinity, holdOpen = false } = {}) {
  const queue = [...reads];
  const written: number[][] = [];
  let closed = 0;
  let onClose = () => {};
  const conn: ByteConnection = {
    read(into) {
      const next = queue[0];
      if (next === undefined) return holdOpen && closed === 0 ? new Promise((resolve) => (onClose = () => resolve(null))) : Promise.resolve(null);
      if (next instanceof Error) return Promise.reject(next);
      return Promise.resolve(takeInto(queue as Uint8Array[], into));
    },
    async write(bytes) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      const n = Math.min(bytes.length, writeAtMost);
      written.push([...bytes.subarray(0, n)]);
      return n;
    },
    close() {
      closed++;
      onClose();
    },
  };
  return { conn, written, closedCount: () => closed };
}

/** Runs a socket over `reads` to the end, keeping a copy of every chunk it emitted. */
async function emitted(reads: Uint8Array[]): Promise<{ chunks: Uint8Array[]; closes: number; errors: Error[] }> {
  const { conn } = scriptedConnection(reads);
  const socket = new MessageSocket(conn);
  const chunks: Uint8Array[] = [];
  const errors: Error[] = [];
  let closes = 0;
  // A copy: the socket reuses its buffer once the listener returns, as postgres.js allows.
  socket.on('data', (chunk: Uint8Array) => chunks.push(new Uint8Array(chunk)));
  socket.on('error', (error: Error) => errors.push(error));
  await new Promise<void>((resolve) => socket.on('close', () => (closes++, resolve())));
  return { chunks, closes, errors };
}

describe('wholeMessagesLength', () => {
  const a = message('D', 'abc');
  const b = message('C', 'SELECT 1\0');
  it.each([
    ['nothing', new Uint8Array(0), 0, 5],
    ['a type byte and half a length', a.subarray(0, 3), 0, 5],
    ['a header without all its body', a.subarray(0, 6), 0, a.length],
    ['one whole message', a, a.length, 5],
    ['two whole messages', concat([a, b]), a.length + b.length, 5],
    ['a whole message and the start of the next', concat([a, b.subarray(0, 7)]), a.length, b.length],
  ])('%s: whole bytes and the size the next message needs', (_label, bytes, whole, next) => {
    expect(wholeMessagesLength(bytes, bytes.length)).toMatchObject({ whole, nextMessageBytes: next, copyData: false });
  });

  it('says whether the whole messages hold COPY data, which postgres.js keeps views of', () => {
    const copy = message('d', 'a,b\n');
    expect(wholeMessagesLength(concat([a, copy]), a.length + copy.length).copyData).toBe(true);
    // A CopyData message not yet whole is not counted.
    expect(wholeMessagesLength(concat([a, copy.subarray(0, 6)]), a.length + 6).copyData).toBe(false);
  });
});

describe('MessageSocket', () => {
  it('emits whole messages only, however the reads cut them, and closes once at the end', async () => {
    const messages = Array.from({ length: 300 }, (_, i) => message('D', `row ${i} `.repeat(1 + (i % 40))));
    const stream = concat(messages);
    // Reads of 1, 2, 3 … 37 bytes cut headers and bodies everywhere.
    const reads: Uint8Array[] = [];
    for (let at = 0, size = 1; at < stream.length; at += size, size = (size % 37) + 1) reads.push(stream.slice(at, at + size));
    const { chunks, closes, errors } = await emitted(reads);
    expect(chunks.flatMap(messagesIn)).toEqual(messages);
    expect(closes).toBe(1);
    expect(errors).toEqual([]);
  });

  it('grows for a message larger than its buffer, and takes many reads of one big value', async () => {
    const big = message('D', 'x'.repeat(1_000_000));
    const small = message('Z', 'I');
    const stream = concat([big, small, big]);
    const reads: Uint8Array[] = [];
    for (let at = 0; at < stream.length; at += 50_000) reads.push(stream.slice(at, at + 50_000));
    const { chunks } = await emitted(reads);
    expect(chunks.flatMap(messagesIn)).toEqual([big, small, big]);
  });

  it('writes chunks whole and in order, even when the connection takes a few bytes at a time', async () => {
    const { conn, written, closedCount } = scriptedConnection([], { writeAtMost: 3, holdOpen: true });
    const socket = new MessageSocket(conn);
    const done: string[] = [];
    socket.write(new Uint8Array([1, 2, 3, 4, 5, 6, 7]), () => done.push('first'));
    socket.write(new Uint8Array([8, 9]), () => done.push('second'));
    socket.end(new Uint8Array([88]));
    await new Promise<void>((resolve) => socket.on('close', () => resolve()));
    expect(written.flat()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 88]);
    expect(done).toEqual(['first', 'second']);
    expect(closedCount()).toBe(1);
    expect(socket.readyState).toBe('closed');
  });

  it('paused, it reads no more until resumed, or until postgres.js writes (and so waits for an answer)', async () => {
    const { conn } = scriptedConnection([message('d', 'a'), message('C', 'COPY 1\0'), message('Z', 'I')], { holdOpen: true });
    const socket = new MessageSocket(conn);
    const seen: string[] = [];
    socket.on('data', (chunk: Uint8Array) => {
      seen.push(String.fromCharCode(chunk[0]));
      socket.pause();
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen).toEqual(['d']);
    socket.resume();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen).toEqual(['d', 'C']);
    socket.write(new Uint8Array([1]));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen).toEqual(['d', 'C', 'Z']);
    socket.destroy();
  });

  it('a failed read is an error, then a close', async () => {
    const { conn } = scriptedConnection([message('D', 'a'), new Error('connection reset')]);
    const socket = new MessageSocket(conn);
    const events: string[] = [];
    socket.on('data', () => events.push('data'));
    socket.on('error', (error: Error) => events.push(`error: ${error.message}`));
    await new Promise<void>((resolve) => socket.on('close', () => resolve()));
    expect(events).toEqual(['data', 'error: connection reset']);
  });

  it('a write after the close fails its callback instead of writing', async () => {
    const { conn, written } = scriptedConnection([], { holdOpen: true });
    const socket = new MessageSocket(conn);
    socket.destroy();
    const failure = await new Promise((resolve) => socket.write(new Uint8Array([1]), resolve));
    expect(failure).toBeInstanceOf(Error);
    expect(written).toEqual([]);
  });
});

/** A ByteConnection over a Node socket: the shape Deno.TcpConn has, for postgres.js in Node. */
function nodeConnection(port: number): Promise<ByteConnection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let ended = false;
    let wake: (() => void) | null = null;
    socket.on('data', (chunk: Buffer) => (received.push(chunk), wake?.()));
    socket.on('close', () => ((ended = true), wake?.()));
    socket.once('error', reject);
    socket.once('connect', () =>
      resolve({
        async read(into) {
          while (received.length === 0 && !ended) await new Promise<void>((r) => (wake = r));
          return received.length === 0 ? null : takeInto(received, into);
        },
        write: (bytes) => new Promise((ok, fail) => socket.write(bytes, (error) => (error ? fail(error) : ok(bytes.length)))),
        close: () => socket.destroy(),
      })
    );
  });
}

describe('postgres.js through MessageSocket, against the database', () => {
  // `socket` is documented by postgres.js but missing from its option types.
  const options: postgres.Options<Record<string, never>> & { socket: () => Promise<MessageSocket> } = {
    max: 2,
    prepare: false,
    onnotice: () => {},
    socket: async () => new MessageSocket(await nodeConnection(dbPort())),
  };
  const sql = postgres(databaseUrl('postgres', dbPort()), options);
  afterAll(() => sql.end());

  it('reads many rows, a value much larger than the buffer, and rows one by one', async () => {
    const rows = await sql<{ n: number; t: string }[]>`select n, repeat('é', n % 50) as t from generate_series(1, 20000) n`;
    expect(rows).toHaveLength(20000);
    expect(rows[19998]).toEqual({ n: 19999, t: 'é'.repeat(19999 % 50) });
    const [{ big }] = await sql<{ big: string }[]>`select repeat('xyz', 300000) as big`;
    expect(big).toBe('xyz'.repeat(300000));
    let sum = 0;
    await sql<{ n: number }[]>`select n from generate_series(1, 5000) n`.forEach((row) => (sum += row.n));
    expect(sum).toBe((5000 * 5001) / 2);
  });

  it('reports a database error and stays usable, in and out of transactions, on concurrent connections', async () => {
    await expect(sql`select 1 / 0`).rejects.toMatchObject({ code: '22012' });
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) =>
      sql.begin(async (tx) => (await tx<{ v: number }[]>`select ${i}::int * 2 as v, pg_sleep(0.01)`)[0].v)
    ));
    expect(results).toEqual([0, 2, 4, 6, 8, 10]);
  });

  it('streams COPY … TO STDOUT with backpressure: a slow reader gets every row intact, one row a chunk', async () => {
    const source = await sql`copy (select n, repeat(chr(65 + n % 26), n % 300) from generate_series(1, 30000) n) to stdout`.readable();
    const rows: string[] = [];
    await new Promise<void>((resolve, reject) => {
      source.on('data', (chunk: Uint8Array) => {
        rows.push(new TextDecoder().decode(chunk));
        // Reading slower than the server writes: the socket is paused and resumed many times.
        if (rows.length % 2000 === 0) {
          source.pause();
          setTimeout(() => source.resume(), 5);
        }
      });
      source.on('end', resolve);
      source.on('error', reject);
    });
    expect(rows).toHaveLength(30000);
    rows.forEach((row, i) => expect(row).toBe(`${i + 1}\t${String.fromCharCode(65 + ((i + 1) % 26)).repeat((i + 1) % 300)}\n`));
    // The connection is usable afterwards.
    expect((await sql`select 1 as one`)[0].one).toBe(1);
  });
});
