// postgres.js's socket over a plain connection (Deno.connect in the functions), reading into
// one reused buffer and handing postgres.js whole protocol messages only. Deno's node:net
// copies every read into a new buffer that V8 frees only at its next garbage collection; over
// a long read (the CSV export) those copies held 20 MB and more of the function's memory.
// postgres.js keeps nothing of a chunk of whole messages once it has parsed it (values become
// strings), so the buffer is free again for the next read; except COPY data, which it hands on
// as views of the chunk: a chunk holding CopyData messages is emitted as a copy of its own. For
// COPY's backpressure, postgres.js pauses the socket when its readable is full and resumes it
// when read: reads stop while paused, so the server waits instead of memory filling.
import { Buffer } from 'node:buffer';
import { EventEmitter } from 'node:events';

const INITIAL_BYTES = 64 * 1024;
const COPY_DATA = 0x64; // 'd'

/** What the socket needs of a connection: Deno.TcpConn's reading, writing and closing. */
export interface ByteConnection {
  read(into: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  close(): void;
  setKeepAlive?(enable: boolean): void;
}

/** How many leading bytes of `bytes` are whole messages (a type byte, then an int32 length that counts itself). */
export function wholeMessagesLength(bytes: Uint8Array, filled: number): { whole: number; nextMessageBytes: number; copyData: boolean } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, filled);
  let whole = 0;
  let copyData = false;
  while (filled - whole >= 5) {
    const size = 1 + view.getInt32(whole + 1);
    if (whole + size > filled) return { whole, nextMessageBytes: size, copyData };
    if (bytes[whole] === COPY_DATA) copyData = true;
    whole += size;
  }
  return { whole, nextMessageBytes: 5, copyData };
}

export class MessageSocket extends EventEmitter {
  readyState: 'open' | 'closed' = 'open';
  #conn: ByteConnection;
  #buffer = new Uint8Array(INITIAL_BYTES);
  #filled = 0;
  #writes: Promise<void> = Promise.resolve();
  /** Set while paused: resolves on resume. */
  #paused: { promise: Promise<void>; resolve: () => void } | null = null;

  constructor(conn: ByteConnection) {
    super();
    this.#conn = conn;
    queueMicrotask(() => void this.#readLoop());
  }

  /**
   * Queues `chunk`; postgres.js waits for 'drain' only after false, which this never returns.
   * A write also resumes reading: postgres.js may pause for a COPY whose last row and CopyDone
   * came in one read and then never resume (its readable, ended, reads no more), while the
   * COPY's completion and the answer to what it sends next are still to be read.
   */
  write(chunk: Uint8Array, callback?: (error?: Error | null) => void): boolean {
    this.resume();
    this.#writes = this.#writes.then(async () => {
      if (this.readyState === 'closed') throw new Error('The database connection is closed.');
      for (let written = 0; written < chunk.length;) written += await this.#conn.write(chunk.subarray(written));
    }).then(
      () => callback?.(null),
      (error) => {
        callback?.(error);
        this.#fail(error);
      },
    );
    return true;
  }

  /** Sends `last` (postgres.js's Terminate) after the queued writes, then closes. */
  end(last?: Uint8Array): void {
    if (last) this.write(last);
    void this.#writes.finally(() => this.destroy());
  }

  destroy(): void {
    if (this.readyState === 'closed') return;
    this.readyState = 'closed';
    this.resume();
    try {
      this.#conn.close();
    } catch {
      // Already closed by the other side.
    }
    this.emit('close', false);
  }

  pause(): void {
    if (this.#paused) return;
    let resolve!: () => void;
    const promise = new Promise<void>((done) => (resolve = done));
    this.#paused = { promise, resolve };
  }

  resume(): void {
    this.#paused?.resolve();
    this.#paused = null;
  }

  setKeepAlive(enable: boolean): void {
    this.#conn.setKeepAlive?.(enable);
  }

  async #readLoop(): Promise<void> {
    try {
      for (;;) {
        if (this.#paused) await this.#paused.promise;
        const read = await this.#conn.read(this.#buffer.subarray(this.#filled));
        if (read === null) break;
        this.#filled += read;
        const { whole, nextMessageBytes, copyData } = wholeMessagesLength(this.#buffer, this.#filled);
        if (whole > 0) {
          this.emit('data', copyData ? Buffer.from(this.#buffer.subarray(0, whole)) : Buffer.from(this.#buffer.buffer, this.#buffer.byteOffset, whole));
          if (this.readyState === 'closed') return;
          this.#buffer.copyWithin(0, whole, this.#filled);
          this.#filled -= whole;
        }
        this.#resizeFor(nextMessageBytes);
      }
    } catch (error) {
      if (this.readyState === 'open') this.#fail(error as Error);
      return;
    }
    this.destroy();
  }

  /** Grows the buffer for a message larger than it, and gives the room back after one. */
  #resizeFor(nextMessageBytes: number): void {
    const wanted = Math.max(INITIAL_BYTES, nextMessageBytes);
    if (wanted > this.#buffer.length || (this.#buffer.length > INITIAL_BYTES && wanted === INITIAL_BYTES)) {
      const resized = new Uint8Array(wanted);
      resized.set(this.#buffer.subarray(0, this.#filled));
      this.#buffer = resized;
    }
  }

  #fail(error: Error): void {
    if (this.readyState === 'closed') return;
    this.emit('error', error);
    this.destroy();
  }
}
