// A fake Supabase Storage API for the exports bucket: upload (POST /storage/v1/object/<bucket>/<path>),
// sign (POST /storage/v1/object/sign/<bucket>/<path> → {signedURL}) and remove
// (DELETE /storage/v1/object/<bucket> with {prefixes}). Keeps uploaded objects in memory and,
// like Storage, refuses an object above the upload limit (file_size_limit, 50 MiB by default).
import { type FakeServer, type RecordedRequest, startFakeServer } from './fake-server.ts';

export interface StoredObject {
  body: string;
  raw: Buffer;
  contentType: string | undefined;
}

export interface FakeStorage extends FakeServer {
  objects: Map<string, StoredObject>;
  /** Makes uploads fail with this status (null: succeed again). */
  failUploads(status: number | null): void;
}

export async function startFakeStorage(maxObjectBytes = 50 * 1024 * 1024): Promise<FakeStorage> {
  const objects = new Map<string, StoredObject>();
  let uploadFailure: number | null = null;
  const answer = (request: RecordedRequest) => {
    const url = new URL(request.path, 'http://storage');
    const sign = /^\/storage\/v1\/object\/sign\/([^/]+)\/(.+)$/.exec(url.pathname);
    const object = /^\/storage\/v1\/object\/([^/]+)\/(.+)$/.exec(url.pathname);
    const bucket = /^\/storage\/v1\/object\/([^/]+)$/.exec(url.pathname);
    if (request.headers.authorization !== 'Bearer ' + request.headers.apikey) {
      return { status: 400, body: JSON.stringify({ statusCode: '403', error: 'Unauthorized', message: 'Invalid key' }) };
    }
    if (request.method === 'POST' && sign) {
      const name = `${sign[1]}/${decodeURIComponent(sign[2])}`;
      if (!objects.has(name)) return { status: 400, body: JSON.stringify({ statusCode: '404', error: 'not_found', message: 'Object not found' }) };
      return { status: 200, body: JSON.stringify({ signedURL: `/object/sign/${sign[1]}/${sign[2]}?token=signed-${Date.now()}` }) };
    }
    if (request.method === 'POST' && object) {
      if (uploadFailure) return { status: uploadFailure, body: JSON.stringify({ statusCode: String(uploadFailure), error: 'failed', message: 'upload refused' }) };
      const name = `${object[1]}/${decodeURIComponent(object[2])}`;
      if (request.raw.length > maxObjectBytes) {
        return { status: 400, body: JSON.stringify({ statusCode: '413', error: 'Payload too large', message: 'The object exceeded the maximum allowed size' }) };
      }
      objects.set(name, { body: request.body, raw: request.raw, contentType: request.headers['content-type'] });
      return { status: 200, body: JSON.stringify({ Key: name, Id: crypto.randomUUID() }) };
    }
    if (request.method === 'DELETE' && bucket) {
      const { prefixes } = JSON.parse(request.body) as { prefixes: string[] };
      const removed = prefixes.filter((p) => objects.delete(`${bucket[1]}/${p}`));
      return { status: 200, body: JSON.stringify(removed.map((name) => ({ name, bucket_id: bucket[1] }))) };
    }
    return { status: 400, body: JSON.stringify({ statusCode: '404', error: 'not_found', message: 'Route not found' }) };
  };
  const server = await startFakeServer(answer);
  return {
    ...server,
    objects,
    failUploads(status) {
      uploadFailure = status;
    },
  };
}
