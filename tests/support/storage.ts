// Checks storage access the way the Storage API (supabase/storage) does it: connected as
// supabase_storage_admin, one transaction per operation with role, request.jwt.claims,
// request.jwt.claim.sub/role, request.headers, request.method and storage.operation set;
// bucket limits (size, MIME types) read from the bucket row and enforced outside Postgres;
// uploads = INSERT as the caller (upsert = INSERT … ON CONFLICT DO UPDATE, which also needs
// SELECT and UPDATE policies); downloads = SELECT as the caller unless the bucket is public;
// moves = UPDATE of the name as the caller; deletes = DELETE as the caller. Only metadata rows
// exist: no bytes are stored.
import type postgres from 'postgres';
import { apiKeys } from '../../scripts/lib/local-platform.ts';
import { connectAs } from './db.ts';
import type { Caller } from './postgrest.ts';

export interface StorageError {
  /** The HTTP status the Storage API answers. */
  statusCode: number;
  error: string;
  message: string;
}

export type StorageResult<T> = { data: T; error: null } | { data: null; error: StorageError };

export interface UploadOptions {
  contentType: string;
  size: number;
  upsert?: boolean;
}

interface Bucket {
  id: string;
  public: boolean;
  file_size_limit: number | null;
  allowed_mime_types: string[] | null;
}

function fail(statusCode: number, error: string, message: string): StorageResult<never> {
  return { data: null, error: { statusCode, error, message } };
}

function mimeAllowed(allowed: string[] | null, contentType: string): boolean {
  if (!allowed || allowed.length === 0) return true;
  const [type] = contentType.split(';');
  return allowed.some((pattern) =>
    pattern.endsWith('/*') ? type.startsWith(pattern.slice(0, -1)) : pattern.toLowerCase() === type.toLowerCase()
  );
}

export class StorageClient {
  constructor(private readonly caller: Caller) {}

  private get role(): string {
    return String(this.caller.claims.role ?? 'anon');
  }

  private async bucket(id: string): Promise<Bucket | undefined> {
    const [bucket] = await connectAs('supabase_storage_admin')<Bucket[]>`
      select id, public, file_size_limit, allowed_mime_types from storage.buckets where id = ${id}`;
    return bucket;
  }

  /** One transaction as the caller, with the Storage API's settings. */
  private async asCaller<T>(operation: string, method: string, run: (tx: postgres.TransactionSql) => Promise<T>): Promise<T> {
    const headers = JSON.stringify({ authorization: `Bearer ${this.caller.jwt}`, apikey: (await apiKeys()).anonKey });
    return connectAs('supabase_storage_admin').begin(async (tx) => {
      const settings: Array<[string, string]> = [
        ['role', this.role],
        ['request.jwt.claims', JSON.stringify(this.caller.claims)],
        ['request.jwt.claim.sub', String(this.caller.claims.sub ?? '')],
        ['request.jwt.claim.role', this.role],
        ['request.headers', headers],
        ['request.method', method],
        ['storage.operation', operation],
      ];
      for (const [name, value] of settings) await tx`select set_config(${name}, ${value}, true)`;
      return run(tx);
    }) as Promise<T>;
  }

  private rlsError(error: unknown): StorageResult<never> {
    const pgError = error as postgres.PostgresError;
    if (pgError?.name !== 'PostgresError') throw error;
    if (pgError.code === '42501') return fail(403, 'Unauthorized', 'new row violates row-level security policy');
    if (pgError.code === '23505') return fail(409, 'Duplicate', 'The resource already exists');
    return fail(400, pgError.code, pgError.message);
  }

  async upload(bucketId: string, name: string, options: UploadOptions): Promise<StorageResult<{ path: string }>> {
    const bucket = await this.bucket(bucketId);
    if (!bucket) return fail(404, 'Bucket not found', 'Bucket not found');
    if (bucket.file_size_limit !== null && options.size > Number(bucket.file_size_limit)) {
      return fail(413, 'Payload too large', 'The object exceeded the maximum allowed size');
    }
    if (!mimeAllowed(bucket.allowed_mime_types, options.contentType)) {
      return fail(415, 'invalid_mime_type', `mime type ${options.contentType} is not supported`);
    }
    const metadata = { size: options.size, mimetype: options.contentType, cacheControl: 'max-age=3600' };
    const owner = this.caller.claims.sub ? String(this.caller.claims.sub) : null;
    try {
      await this.asCaller(options.upsert ? 'storage.object.upload.upsert' : 'storage.object.upload', 'POST', async (tx) => {
        if (options.upsert) {
          await tx`
            insert into storage.objects (bucket_id, name, owner, owner_id, metadata)
            values (${bucketId}, ${name}, ${owner}, ${owner}, ${tx.json(metadata)})
            on conflict (bucket_id, name) do update
              set metadata = excluded.metadata, owner = excluded.owner, owner_id = excluded.owner_id, updated_at = now()`;
        } else {
          await tx`
            insert into storage.objects (bucket_id, name, owner, owner_id, metadata)
            values (${bucketId}, ${name}, ${owner}, ${owner}, ${tx.json(metadata)})`;
        }
      });
    } catch (error) {
      return this.rlsError(error);
    }
    return { data: { path: name }, error: null };
  }

  async download(bucketId: string, name: string): Promise<StorageResult<{ name: string; metadata: unknown }>> {
    const bucket = await this.bucket(bucketId);
    if (!bucket) return fail(404, 'Bucket not found', 'Bucket not found');
    const select = (tx: postgres.Sql | postgres.TransactionSql) =>
      tx`select name, metadata from storage.objects where bucket_id = ${bucketId} and name = ${name}`;
    // Public buckets are served without consulting RLS.
    const rows = bucket.public
      ? await select(connectAs('supabase_storage_admin'))
      : await this.asCaller('storage.object.get_authenticated', 'GET', (tx) => select(tx));
    if (rows.length === 0) return fail(404, 'not_found', 'Object not found');
    return { data: { name: rows[0].name, metadata: rows[0].metadata }, error: null };
  }

  async list(bucketId: string, prefix = ''): Promise<StorageResult<string[]>> {
    const rows = await this.asCaller('storage.object.list', 'POST', (tx) =>
      tx`select name from storage.objects
         where bucket_id = ${bucketId} and name like ${prefix.replace(/[\\%_]/g, '\\$&') + '%'}
         order by name`
    );
    return { data: rows.map((row) => row.name as string), error: null };
  }

  /** A move renames the object: an UPDATE as the caller (USING on the old row, WITH CHECK on the new). */
  async move(bucketId: string, from: string, to: string): Promise<StorageResult<{ path: string }>> {
    try {
      const rows = await this.asCaller('storage.object.move', 'POST', (tx) =>
        tx`update storage.objects set name = ${to}, updated_at = now()
           where bucket_id = ${bucketId} and name = ${from} returning name`
      );
      if (rows.length === 0) return fail(404, 'not_found', 'Object not found');
      return { data: { path: to }, error: null };
    } catch (error) {
      return this.rlsError(error);
    }
  }

  async remove(bucketId: string, names: string[]): Promise<StorageResult<string[]>> {
    try {
      const rows = await this.asCaller('storage.object.delete_many', 'DELETE', async (tx) => {
        await tx`select set_config('storage.allow_delete_query', 'true', true)`;
        return tx`delete from storage.objects where bucket_id = ${bucketId} and name = any(${names}) returning name`;
      });
      // Like the API: objects the caller may not delete are silently left alone.
      return { data: rows.map((row) => row.name as string), error: null };
    } catch (error) {
      return this.rlsError(error);
    }
  }
}

export function storageAs(caller: Caller): StorageClient {
  return new StorageClient(caller);
}
