// Threat: internal-note attachments reaching the customer through Storage. Internal notes live
// at <ticket_id>/internal/<file>; the customer may read their ticket's folder. Tried: listing
// the ticket folder (which would show the files, or an `internal` folder), listing internal/
// itself, downloading a known internal path, uploading into internal/ (to plant a file staff
// would take for their own), and another customer reading the ticket's public files.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BusinessFixture, createBusiness, createCustomer } from '../support/fixtures.ts';
import { storageAs } from '../support/storage.ts';
import type { TestUser } from '../support/users.ts';
import { comment, ok, openTicket } from '../tickets/fixtures.ts';

const BUCKET = 'ticket-attachments';
const pdf = { contentType: 'application/pdf', size: 1000 };
let shop: BusinessFixture;
let customer: TestUser;
let ticket: string;
let internalPath: string;
let publicPath: string;

beforeAll(async () => {
  shop = await createBusiness('ticket-files');
  customer = await createCustomer('ticket-files');
  ticket = (await openTicket(customer, shop.id)).id;
  internalPath = `${ticket}/internal/${randomUUID()}-fraud-check.pdf`;
  publicPath = `${ticket}/${randomUUID()}-receipt.pdf`;
  expect((await storageAs(shop.viewer).upload(BUCKET, internalPath, pdf)).error).toBeNull();
  await ok(comment(shop.viewer, ticket, 'INTERNAL: see the fraud check', true, [internalPath]));
  expect((await storageAs(customer).upload(BUCKET, publicPath, pdf)).error).toBeNull();
});

describe('internal-note attachments never reach the customer through Storage', () => {
  it('listing the ticket folder shows the public files only, and no internal folder', async () => {
    const listed = (await storageAs(customer).list(BUCKET, `${ticket}/`)).data ?? [];
    expect(listed).toContain(publicPath);
    expect(listed.filter((name) => name.includes('internal'))).toEqual([]);
    expect((await storageAs(customer).list(BUCKET, `${ticket}/internal/`)).data ?? []).toEqual([]);
    // Staff see both.
    expect((await storageAs(shop.viewer).list(BUCKET, `${ticket}/`)).data).toEqual(expect.arrayContaining([publicPath, internalPath]));
  });

  it('a known internal path cannot be downloaded by the customer', async () => {
    expect((await storageAs(customer).download(BUCKET, internalPath)).error?.statusCode).toBe(404);
  });

  it('the customer cannot upload into internal/ (403)', async () => {
    expect((await storageAs(customer).upload(BUCKET, `${ticket}/internal/planted.pdf`, pdf)).error?.statusCode).toBe(403);
  });

  it('another customer and another business\'s admin read nothing of the ticket', async () => {
    const rival = await createBusiness('ticket-files-rival');
    for (const outsider of [await createCustomer('ticket-files-other'), rival.admin]) {
      expect((await storageAs(outsider).download(BUCKET, publicPath)).error?.statusCode).toBe(404);
      expect((await storageAs(outsider).list(BUCKET, `${ticket}/`)).data ?? []).toEqual([]);
    }
  });
});
