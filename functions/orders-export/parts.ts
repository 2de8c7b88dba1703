// A large export file within the storage upload limit: the CSV is gzipped and, when even that
// is too big, cut into parts, each a complete .csv.gz of whole rows (the later ones start with
// the header again), so every part opens on its own. Exact sizes without holding a part in
// memory: rows are compressed in groups of about 1 MiB, each group its own gzip member (a gzip
// file may hold several, RFC 1952), so a part's size is known before a group is added to it.
// Pure of Deno: web streams and CompressionStream only.

/** Uploads one part (1-based), streaming its body; resolves once stored. */
export type PartUpload = (part: number, body: ReadableStream<Uint8Array>) => Promise<void>;

/** The smallest part size allowed: a group of rows (one CSV chunk, at most ~200 KB) always fits. */
export const MIN_PART_BYTES = 256 * 1024;
const GROUP_BYTES = 1024 * 1024;

/**
 * One gzip member of the bytes of `chunks`, in order, written straight into the compressor. Not
 * through a Blob: Deno keeps a Blob's bytes outside V8's heap until the Blob is collected, which
 * a job making hundreds of groups reached only at 250 MB.
 */
export async function gzip(chunks: Uint8Array[]): Promise<Uint8Array> {
  const compressor = new CompressionStream('gzip');
  const compressed = new Response(compressor.readable).arrayBuffer();
  const writer = compressor.writable.getWriter();
  for (const chunk of chunks) await writer.write(chunk as BufferSource);
  await writer.close();
  return new Uint8Array(await compressed);
}

interface OpenPart {
  size: number;
  writer: WritableStreamDefaultWriter<Uint8Array>;
  stored: Promise<void>;
}

/**
 * Writes `csv` (whose chunks end at row boundaries, as csvStream's do) as gzip parts of at most
 * `maxPartBytes` each; `header` (BOM and header row) starts every part after the first. Calls
 * `onPartStarted` before each upload (to know what to remove if the export fails) and resolves
 * with the number of parts.
 */
export async function writeGzipParts(
  csv: ReadableStream<Uint8Array>,
  header: Uint8Array,
  maxPartBytes: number,
  upload: PartUpload,
  onPartStarted: (part: number) => void = () => {},
): Promise<number> {
  if (!Number.isInteger(maxPartBytes) || maxPartBytes < MIN_PART_BYTES) {
    throw new Error(`maxPartBytes must be an integer of at least ${MIN_PART_BYTES}`);
  }
  const groupBytes = Math.min(GROUP_BYTES, Math.floor(maxPartBytes / 4));
  const headerMember = await gzip([header]);
  let parts = 0;
  let part: OpenPart | null = null;

  const open = (): OpenPart => {
    parts++;
    onPartStarted(parts);
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const stored = upload(parts, readable);
    // Seen by write() through the race below; never left unhandled.
    stored.catch(() => {});
    return { size: 0, writer: writable.getWriter(), stored };
  };
  const write = async (into: OpenPart, member: Uint8Array) => {
    // An upload that fails stops reading: its error ends the export instead of a stalled write.
    await Promise.race([into.writer.write(member), into.stored]);
    into.size += member.length;
  };
  const close = async (done: OpenPart) => {
    await Promise.race([done.writer.close(), done.stored]);
    await done.stored;
  };
  const add = async (member: Uint8Array) => {
    if (part && part.size + member.length > maxPartBytes) {
      await close(part);
      part = null;
    }
    if (!part) {
      part = open();
      if (parts > 1) await write(part, headerMember);
    }
    if (part.size + member.length > maxPartBytes) throw new Error(`A group of rows does not fit a part of ${maxPartBytes} bytes.`);
    await write(part, member);
  };

  const reader = csv.getReader();
  let group: Uint8Array[] = [];
  let grouped = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (value) {
        group.push(value);
        grouped += value.length;
      }
      if (grouped > 0 && (grouped >= groupBytes || done)) {
        const member = await gzip(group);
        group = [];
        grouped = 0;
        await add(member);
      }
      if (done) break;
    }
    if (part) await close(part);
  } catch (error) {
    await reader.cancel(error).catch(() => {});
    if (part) await (part as OpenPart).writer.abort(error).catch(() => {});
    throw error;
  }
  return parts;
}
