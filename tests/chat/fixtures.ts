// Chat fixtures made the way clients make them: the customer starts a conversation and sends
// through the RPCs; nothing here writes chat tables directly.
import type { Row } from 'postgres';
import { createBusiness, createCustomer, type BusinessFixture } from '../support/fixtures.ts';
import { asAnon, asUser, type ApiResult } from '../support/postgrest.ts';
import type { TestUser } from '../support/users.ts';

/** Calls a public function with named arguments, as supabase.rpc() does (anon without a user). */
export function rpc(user: TestUser | null, name: string, args: Record<string, unknown>): Promise<ApiResult<Row[]>> {
  const names = Object.keys(args);
  const placeholders = names.map((arg, i) => `${arg} := $${i + 1}`).join(', ');
  const run = (tx: Parameters<Parameters<typeof asUser>[1]>[0]) =>
    tx.unsafe(`select * from public.${name}(${placeholders})`, Object.values(args) as never[]);
  return user ? asUser(user, run) : asAnon(run);
}

export async function ok(result: Promise<ApiResult<Row[]>>, what: string): Promise<Row[]> {
  const { data, error } = await result;
  if (error) throw new Error(`${what}: ${error.code} ${error.message}`);
  return data;
}

export interface ChatWorld {
  business: BusinessFixture;
  otherBusiness: BusinessFixture;
  customer: TestUser;
  otherCustomer: TestUser;
}

export async function createChatWorld(label = 'chat'): Promise<ChatWorld> {
  const [business, otherBusiness, customer, otherCustomer] = await Promise.all([
    createBusiness(label), createBusiness(`${label}-rival`), createCustomer(`${label}-customer`), createCustomer(`${label}-other`),
  ]);
  return { business, otherBusiness, customer, otherCustomer };
}

/** The customer's open conversation with the business (started if needed). */
export async function startConversation(customer: TestUser, business: BusinessFixture, body?: string): Promise<Row> {
  const [row] = await ok(rpc(customer, 'start_conversation', { business_id: business.id, ...(body ? { body } : {}) }), 'start_conversation');
  return row;
}

export async function send(user: TestUser, conversationId: string, body: string, extra: Record<string, unknown> = {}): Promise<Row> {
  const [row] = await ok(rpc(user, 'send_message', { conversation_id: conversationId, body, ...extra }), 'send_message');
  return row;
}
