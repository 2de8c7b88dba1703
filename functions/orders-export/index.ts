// GET /functions/v1/orders-export?business_id=&from=&to=&status=&order_id= — a business's
// order lines as CSV, for its `orders.export` holders. Small exports stream in the response;
// larger ones (above EXPORT_INLINE_MAX_LINES) run as a job that writes the file to the private
// `exports` bucket, gzipped and in parts within the upload limit (parts.ts): 202 with the job,
// then GET ?job_id= for its state and a signed URL per part.
// POST /functions/v1/orders-export/cleanup (service role, scheduled) removes files older
// than 7 days. A job still running after EXPORT_JOB_TIMEOUT_SECONDS is marked failed: its
// function instance ended (hosted functions stop after at most 400 s), so it never will finish.
import { type Caller, callerOf, type Claims, jwksVerifier, requireServiceRole, requireUser, type TokenVerifier } from '../_shared/auth.ts';
import { corsHeaders } from '../_shared/cors.ts';
import { connectDatabase, type Db } from '../_shared/database.ts';
import type { Database } from '../_shared/database.types.ts';
import { success } from '../_shared/envelope.ts';
import { envInt, envText } from '../_shared/env.ts';
import { HttpError, invalidInput } from '../_shared/errors.ts';
import { handle, serve } from '../_shared/http.ts';
import { jsonLogger, type Logger } from '../_shared/log.ts';
import { runSteps } from '../_shared/steps.ts';
import { csvFile, csvRow, UTF8_BOM } from './csv.ts';
import { type ExportFilters, exportFileName, isUuid, parseExportQuery } from './filters.ts';
import { countLinesUpTo, CSV_HEADER, exportCsvRows } from './lines.ts';
import { MIN_PART_BYTES, writeGzipParts } from './parts.ts';
import { type ExportStorage, partPath, storageClient } from './storage.ts';

type ExportJob = Database['public']['Tables']['export_jobs']['Row'];

export interface OrdersExportConfig {
  /** Exports with more lines than this run as a job. */
  inlineMaxLines: number;
  signedUrlSeconds: number;
  /** A job running longer than this has died with its instance. */
  jobTimeoutSeconds: number;
  /** The largest file a job uploads (the storage upload limit); bigger exports come in parts. */
  partBytes: number;
}

export interface OrdersExportDeps {
  db: Db;
  verify: TokenVerifier;
  storage: ExportStorage;
  config: OrdersExportConfig;
  now?: () => Date;
  /** Keeps a job running after the response (EdgeRuntime.waitUntil on Supabase). */
  background?: (work: Promise<unknown>) => void;
  log?: Logger;
}

export function createOrdersExportHandler(deps: OrdersExportDeps) {
  const { db, verify, storage, config, now = () => new Date(), background = () => {}, log = jsonLogger('orders-export') } = deps;
  // Service: the job rows are the service's bookkeeping, written after the caller's
  // orders.export permission was checked as the caller; reading them back is as the caller.
  const { serviceDb } = db;

  async function requireExporter(caller: Caller, businessId: string): Promise<string> {
    const [row] = await db.asCaller(caller.claims, (tx) => tx<{ allowed: boolean; slug: string | null }[]>`
      select public.has_permission(${businessId}, 'orders.export') as allowed,
             (select b.slug from public.businesses b where b.id = ${businessId}) as slug`, { readOnly: true });
    // An unknown business answers 403 like a business of others: existence is not revealed.
    if (!row.allowed || !row.slug) {
      throw new HttpError(403, 'FORBIDDEN', 'You need the orders.export permission in this business to export its orders.');
    }
    return row.slug;
  }

  async function startJob(caller: Caller, filters: ExportFilters, fileName: string, expectedLines: number): Promise<Response> {
    const [job] = await serviceDb<ExportJob[]>`
      insert into public.export_jobs (business_id, requested_by, filters)
      values (${filters.businessId}, ${caller.claims.sub!}, ${serviceDb.json({ ...filters } as never)})
      returning *`;
    // runJob records its own failures; this catch only guards against losing the database
    // while recording one (an unhandled rejection would end the function's process).
    background(runJob(job, caller.claims, filters).catch((error) =>
      log({ level: 'error', event: 'export_job_unrecorded', job_id: job.id, error: String((error as Error)?.message ?? error) })
    ));
    return success(
      { job_id: job.id, status: job.status, file_name: fileName, at_least_lines: expectedLines },
      'The export is large: it runs as a job. Poll GET orders-export?job_id=… for its download link.',
      202,
      { location: `orders-export?job_id=${job.id}` },
    );
  }

  async function runJob(job: ExportJob, claims: Claims, filters: ExportFilters): Promise<void> {
    const folder = `${job.business_id}/${job.id}`;
    let lines = 0;
    let started = 0;
    let parts = 0;
    try {
      await runSteps<void>([
        {
          name: 'write the file to the exports bucket',
          run: async () => {
            const csv = csvFile(CSV_HEADER, exportCsvRows(db, claims, filters, { timeoutSeconds: config.jobTimeoutSeconds, onDone: (n) => (lines = n) }));
            parts = await writeGzipParts(csv, new TextEncoder().encode(UTF8_BOM + csvRow(CSV_HEADER)), config.partBytes,
              (part, body) => storage.upload(partPath(folder, part), body, 'application/gzip'), (part) => (started = part));
          },
          undo: () => storage.remove(Array.from({ length: started }, (_, i) => partPath(folder, i + 1))),
        },
        {
          name: 'record the finished job',
          run: async () => {
            await serviceDb`update public.export_jobs
                     set status = 'succeeded', storage_path = ${folder}, part_count = ${parts}, line_count = ${lines}, completed_at = now()
                     where id = ${job.id}`;
          },
        },
      ], undefined, log);
      log({ event: 'export_job_succeeded', job_id: job.id, lines, parts });
    } catch (error) {
      log({ level: 'error', event: 'export_job_failed', job_id: job.id, error: String((error as Error)?.message ?? error) });
      await serviceDb`update public.export_jobs set status = 'failed', error = ${String((error as Error)?.message ?? error).slice(0, 2000)},
               completed_at = now() where id = ${job.id} and status = 'running'`;
    }
  }

  /** Marks jobs that outlived any function instance failed: all of them, or just `jobId`. */
  async function failStaleJobs(jobId: string | null = null): Promise<number> {
    const startedBefore = new Date(now().getTime() - config.jobTimeoutSeconds * 1000);
    const failed = await serviceDb`
      update public.export_jobs
      set status = 'failed', completed_at = now(),
          error = 'The export stopped before it finished (its function instance ended); export again.'
      where status = 'running' and created_at < ${startedBefore} and (${jobId}::uuid is null or id = ${jobId}::uuid)`;
    return failed.count;
  }

  async function jobStatus(caller: Caller, params: URLSearchParams): Promise<Response> {
    const job_id = params.get('job_id')!;
    if ([...params.keys()].length !== 1 || !isUuid(job_id)) {
      throw invalidInput([{ path: 'job_id', message: 'Give job_id alone, as a UUID.' }]);
    }
    // Read as the caller: only orders.export holders of the job's business see it.
    const readJob = async () => (await db.asCaller(caller.claims, (tx) => tx<ExportJob[]>`
      select * from public.export_jobs where id = ${job_id}`, { readOnly: true }))[0];
    let job = await readJob();
    if (!job) throw new HttpError(404, 'NOT_FOUND', 'No export job with this id is visible to you.');
    if (job.status === 'running' && (await failStaleJobs(job.id)) > 0) job = await readJob();
    const body = {
      job_id: job.id, status: job.status, line_count: job.line_count === null ? null : Number(job.line_count) /* int8 arrives as text */, error: job.error,
      created_at: job.created_at, completed_at: job.completed_at, expires_at: job.expires_at,
      download_url: null as string | null,
      files: [] as Array<{ name: string; url: string }>,
    };
    if (job.status === 'succeeded') {
      if (job.file_removed_at || Date.parse(job.expires_at) <= now().getTime() || !job.storage_path || !job.part_count) {
        throw new HttpError(410, 'EXPIRED', 'This export has expired and its file was removed; export again.');
      }
      const [{ slug }] = await serviceDb<{ slug: string }[]>`select slug from public.businesses where id = ${job.business_id}`;
      const filters = job.filters as unknown as ExportFilters;
      const csvName = exportFileName(slug, filters, new Date(job.created_at));
      const count = job.part_count;
      const folder = job.storage_path;
      body.files = await Promise.all(Array.from({ length: count }, async (_, i) => {
        const name = count === 1 ? `${csvName}.gz` : csvName.replace(/\.csv$/, `-part-${i + 1}-of-${count}.csv.gz`);
        return { name, url: await storage.signedUrl(partPath(folder, i + 1), config.signedUrlSeconds, name) };
      }));
      body.download_url = body.files[0].url;
    }
    return success(body, job.status === 'succeeded' ? 'The export is ready.' : `The export is ${job.status}.`);
  }

  async function exportOrders(req: Request): Promise<Response> {
    const params = new URL(req.url).searchParams;
    const caller = await callerOf(req, verify);
    requireUser(caller);
    if (params.has('job_id')) return jobStatus(caller, params);
    const filters = parseExportQuery(params);
    const slug = await requireExporter(caller, filters.businessId);
    const fileName = exportFileName(slug, filters, now());
    const lineCount = await countLinesUpTo(db, caller.claims, filters, config.inlineMaxLines);
    if (lineCount > config.inlineMaxLines) return startJob(caller, filters, fileName, lineCount);
    const body = csvFile(CSV_HEADER, exportCsvRows(db, caller.claims, filters, { timeoutSeconds: config.jobTimeoutSeconds }));
    return new Response(body, {
      status: 200,
      headers: {
        ...corsHeaders,
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="${fileName}"`,
        'cache-control': 'no-store',
      },
    });
  }

  async function cleanup(req: Request): Promise<Response> {
    requireServiceRole(await callerOf(req, verify));
    // Service: a scheduled cleanup (service-role callers only, checked above).
    const expired = await serviceDb<{ id: string; storage_path: string; part_count: number }[]>`
      select id, storage_path, part_count from public.export_jobs
      where expires_at <= ${now()} and file_removed_at is null and storage_path is not null
      order by expires_at limit 1000`;
    // Removing a file that is already gone succeeds, so a cleanup cut short is simply rerun.
    await storage.remove(expired.flatMap((job) => Array.from({ length: job.part_count }, (_, i) => partPath(job.storage_path, i + 1))));
    await serviceDb`update public.export_jobs set file_removed_at = now() where id = any(${expired.map((job) => job.id)}::uuid[])`;
    const stale = await failStaleJobs();
    return success({ removed: expired.length, stale_jobs_failed: stale }, `Removed ${expired.length} expired export files; ${stale} stale jobs marked failed.`);
  }

  return handle(log, (req) => {
    const path = new URL(req.url).pathname.replace(/\/+$/, '');
    if (path.endsWith('/cleanup')) {
      if (req.method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'Use POST.');
      return cleanup(req);
    }
    if (req.method !== 'GET') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'Use GET.');
    return exportOrders(req);
  });
}

if (import.meta.main) {
  const runtime = (globalThis as { EdgeRuntime?: { waitUntil(work: Promise<unknown>): void } }).EdgeRuntime;
  serve(createOrdersExportHandler({
    db: connectDatabase(),
    verify: jwksVerifier(envText('SUPABASE_JWKS', '{"keys":[]}')),
    storage: storageClient({
      supabaseUrl: envText('SUPABASE_URL', ''),
      serviceKey: envText('SUPABASE_SERVICE_ROLE_KEY', ''),
      bucket: 'exports',
    }),
    config: {
      inlineMaxLines: envInt('EXPORT_INLINE_MAX_LINES', 100000, { min: 0, max: 100_000_000 }),
      signedUrlSeconds: envInt('EXPORT_SIGNED_URL_SECONDS', 3600, { min: 60, max: 7 * 86400 }),
      jobTimeoutSeconds: envInt('EXPORT_JOB_TIMEOUT_SECONDS', 900, { min: 60, max: 86400 }),
      // The storage upload limit ([storage] file_size_limit, 50 MiB on the free plan).
      partBytes: envInt('EXPORT_PART_BYTES', 50 * 1024 * 1024, { min: MIN_PART_BYTES, max: 5 * 1024 * 1024 * 1024 }),
    },
    // Locally the process stays up; on Supabase the runtime keeps the job alive past the response.
    background: (work) => runtime?.waitUntil(work),
  }));
}
