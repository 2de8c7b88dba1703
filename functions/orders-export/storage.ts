// The Supabase Storage API for the private `exports` bucket, with the service key:
// upload (POST /object/<bucket>/<path>), sign (POST /object/sign/<bucket>/<path>) and remove
// (DELETE /object/<bucket> with {prefixes}), as supabase-js sends them. Pure of Deno.

export interface StorageConfig {
  /** SUPABASE_URL; the Storage API lives under /storage/v1. */
  supabaseUrl: string;
  serviceKey: string;
  bucket: string;
}

export interface ExportStorage {
  upload(path: string, body: ReadableStream<Uint8Array>, contentType: string): Promise<void>;
  signedUrl(path: string, expiresInSeconds: number, downloadName: string): Promise<string>;
  remove(paths: string[]): Promise<void>;
}

export class StorageError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Part `part` (1-based) of the export in `folder`: part-0001.csv.gz and on. */
export function partPath(folder: string, part: number): string {
  return `${folder}/part-${String(part).padStart(4, '0')}.csv.gz`;
}

function objectPath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

export function storageClient(config: StorageConfig, fetchImpl: typeof fetch = fetch): ExportStorage {
  const base = `${config.supabaseUrl.replace(/\/+$/, '')}/storage/v1`;
  const headers = { authorization: `Bearer ${config.serviceKey}`, apikey: config.serviceKey };
  const check = async (response: Response, what: string) => {
    if (!response.ok) throw new StorageError(response.status, `Storage ${what} failed with ${response.status}: ${(await response.text()).slice(0, 300)}`);
    return response;
  };
  return {
    async upload(path, body, contentType) {
      const response = await fetchImpl(`${base}/object/${config.bucket}/${objectPath(path)}`, {
        method: 'POST',
        headers: { ...headers, 'content-type': contentType, 'x-upsert': 'true', 'cache-control': 'max-age=3600' },
        body,
        // Streams the request body: the file is never held in memory.
        duplex: 'half',
      } as RequestInit);
      await check(response, 'upload');
      await response.body?.cancel();
    },
    async signedUrl(path, expiresIn, downloadName) {
      const response = await check(
        await fetchImpl(`${base}/object/sign/${config.bucket}/${objectPath(path)}`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({ expiresIn }),
        }),
        'signing',
      );
      const { signedURL } = await response.json() as { signedURL?: string };
      if (!signedURL) throw new StorageError(502, 'Storage signing answered without a signedURL.');
      // As supabase-js: the URL is relative to /storage/v1; `download` names the saved file.
      const url = new URL(`${base}${signedURL}`);
      url.searchParams.set('download', downloadName);
      return url.toString();
    },
    async remove(paths) {
      if (paths.length === 0) return;
      const response = await check(
        await fetchImpl(`${base}/object/${config.bucket}`, {
          method: 'DELETE',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({ prefixes: paths }),
        }),
        'removal',
      );
      await response.body?.cancel();
    },
  };
}
