// The local Realtime server's pure pieces: Phoenix serializers, token checks, presence state.
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { JWT_SECRET } from '../../scripts/lib/local-platform.ts';
import { TopicPresence } from '../../scripts/lib/realtime-presence.ts';
import {
  decodeFrame,
  encodeMessage,
  encodeUserBroadcast,
  ProtocolError,
  replyMessage,
  type UserBroadcast,
} from '../../scripts/lib/realtime-serializer.ts';
import { connectError, joinErrorReason, shutdownMessage, validateClaims, verifyToken } from '../../scripts/lib/realtime-token.ts';

const secret = new TextEncoder().encode(JWT_SECRET);

/** A kind 3 frame exactly as realtime-js's Serializer builds it. */
function userBroadcastPush(joinRef: string, ref: string, topic: string, event: string, payload: unknown): Buffer {
  const meta = Buffer.from([3, joinRef.length, ref.length, topic.length, event.length, 0, 1]);
  return Buffer.concat([meta, Buffer.from(joinRef + ref + topic + event), Buffer.from(JSON.stringify(payload))]);
}

describe('serializer 2.0.0', () => {
  it('decodes a text frame as [join_ref, ref, topic, event, payload]', () => {
    const frame = Buffer.from(JSON.stringify(['1', '2', 'realtime:room', 'phx_join', { config: {} }]));
    expect(decodeFrame('2.0.0', frame, false)).toEqual({
      kind: 'message',
      message: { joinRef: '1', ref: '2', topic: 'realtime:room', event: 'phx_join', payload: { config: {} } },
    });
  });

  it('decodes a user broadcast push (kind 3)', () => {
    const incoming = decodeFrame('2.0.0', userBroadcastPush('1', '5', 'realtime:room', 'typing', { by: 'me' }), true);
    expect(incoming).toMatchObject({ kind: 'user_broadcast', joinRef: '1', ref: '5', topic: 'realtime:room' });
    const { broadcast } = incoming as { broadcast: UserBroadcast };
    expect(broadcast.userEvent).toBe('typing');
    expect(broadcast.encoding).toBe('json');
    expect(JSON.parse(broadcast.body.toString())).toEqual({ by: 'me' });
  });

  it.each([
    ['a V1 object', Buffer.from('{"topic":"t","event":"e"}'), false],
    ['a short array', Buffer.from('["1","2","t"]'), false],
    ['not JSON', Buffer.from('nope'), false],
    ['an unknown binary kind', Buffer.from([9, 0, 0, 0, 0, 0, 0]), true],
    ['a truncated kind 3 frame', Buffer.from([3, 5, 0, 0, 0, 0, 1, 65]), true],
  ])('rejects %s', (_label, frame, binary) => {
    expect(() => decodeFrame('2.0.0', frame, binary)).toThrow(ProtocolError);
  });

  it('encodes messages and replies as arrays', () => {
    const reply = replyMessage({ joinRef: '1', ref: '3', topic: 'realtime:room' }, 'error', { reason: 'nope' });
    expect(JSON.parse(encodeMessage('2.0.0', reply))).toEqual([
      '1', '3', 'realtime:room', 'phx_reply', { status: 'error', response: { reason: 'nope' } },
    ]);
  });

  it('encodes a user broadcast as kind 4, with metadata when given', () => {
    const body = Buffer.from('{"n":1}');
    const frame = encodeUserBroadcast('2.0.0', 'realtime:room', {
      userEvent: 'message', encoding: 'json', body, metadata: { id: 'abc' },
    }) as Buffer;
    const meta = '{"id":"abc"}';
    expect([...frame.subarray(0, 5)]).toEqual([4, 'realtime:room'.length, 'message'.length, meta.length, 1]);
    expect(frame.subarray(5).toString()).toBe(`realtime:roommessage${meta}{"n":1}`);
    const bare = encodeUserBroadcast('2.0.0', 't', { userEvent: 'e', encoding: 'binary', body: Buffer.from([1, 2]), metadata: null });
    expect([...(bare as Buffer)]).toEqual([4, 1, 1, 0, 0, 116, 101, 1, 2]);
  });

  it('refuses fields longer than a byte can count', () => {
    expect(() =>
      encodeUserBroadcast('2.0.0', 'x'.repeat(256), { userEvent: 'e', encoding: 'json', body: Buffer.from('{}'), metadata: null })
    ).toThrow(ProtocolError);
  });
});

describe('serializer 1.0.0', () => {
  it('decodes and encodes objects', () => {
    const frame = Buffer.from(JSON.stringify({ topic: 'phoenix', event: 'heartbeat', payload: {}, ref: '9', join_ref: null }));
    const { message } = decodeFrame('1.0.0', frame, false) as { message: Parameters<typeof encodeMessage>[1] };
    expect(message).toEqual({ joinRef: null, ref: '9', topic: 'phoenix', event: 'heartbeat', payload: {} });
    expect(JSON.parse(encodeMessage('1.0.0', message))).toEqual({ topic: 'phoenix', event: 'heartbeat', payload: {}, ref: '9', join_ref: null });
  });

  it('has no binary frames: user broadcasts become JSON broadcasts, binary payloads are dropped', () => {
    expect(() => decodeFrame('1.0.0', userBroadcastPush('1', '2', 't', 'e', {}), true)).toThrow(ProtocolError);
    const json = encodeUserBroadcast('1.0.0', 'realtime:room', {
      userEvent: 'message', encoding: 'json', body: Buffer.from('{"n":1}'), metadata: { id: 'abc' },
    });
    expect(JSON.parse(json as string)).toEqual({
      topic: 'realtime:room',
      event: 'broadcast',
      payload: { event: 'message', payload: { n: 1 }, type: 'broadcast', meta: { id: 'abc' } },
      ref: null,
      join_ref: null,
    });
    expect(encodeUserBroadcast('1.0.0', 't', { userEvent: 'e', encoding: 'binary', body: Buffer.from([1]), metadata: null })).toBeNull();
  });
});

describe('token checks', () => {
  const now = 1_900_000_000;
  const sign = (claims: Record<string, unknown>, alg = 'HS256', key = secret) =>
    new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(key);

  it('accepts a token signed with the secret, rounding decimal exp and iat', async () => {
    const token = await sign({ role: 'authenticated', sub: 'u', exp: now + 60.4, iat: now - 0.6 });
    expect(await verifyToken(token, secret, now)).toEqual({
      ok: true,
      claims: { role: 'authenticated', sub: 'u', exp: now + 60, iat: now - 1 },
    });
  });

  it('accepts HS384 and HS512 too', async () => {
    for (const alg of ['HS384', 'HS512']) {
      expect((await verifyToken(await sign({ role: 'anon', exp: now + 1 }, alg), secret, now)).ok).toBe(true);
    }
  });

  it('an exp equal to now has expired (Joken requires exp > now)', () => {
    expect(validateClaims({ role: 'anon', exp: now }, now)).toEqual({
      ok: false, error: 'expired_token', message: 'Token has expired 0 seconds ago',
    });
    expect(validateClaims({ role: 'anon', exp: now - 42 }, now)).toMatchObject({ message: 'Token has expired 42 seconds ago' });
    expect(validateClaims({ role: 'anon', exp: now + 1 }, now).ok).toBe(true);
  });

  it.each([
    ['no role', { exp: now + 60 }, 'missing_claims'],
    ['no exp', { role: 'anon' }, 'missing_claims'],
    ['a non-numeric iat', { role: 'anon', exp: now + 60, iat: 'yesterday' }, 'invalid_claims'],
  ])('refuses %s', (_label, claims, error) => {
    expect(validateClaims(claims, now)).toMatchObject({ ok: false, error });
  });

  it('tells malformed, forged and unsupported tokens apart', async () => {
    expect(await verifyToken('abc', secret, now)).toEqual({ ok: false, error: 'token_malformed' });
    expect(await verifyToken('a.b.c', secret, now)).toEqual({ ok: false, error: 'token_malformed' });
    const forged = await sign({ role: 'anon', exp: now + 60 }, 'HS256', new TextEncoder().encode('x'.repeat(40)));
    expect(await verifyToken(forged, secret, now)).toEqual({ ok: false, error: 'signature_error' });
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"role":"anon"}').toString('base64url')}.`;
    expect(await verifyToken(none, secret, now)).toEqual({ ok: false, error: 'error_generating_signer' });
  });

  it('says what Realtime says at join, on a later check and at connect', () => {
    const expired = { error: 'expired_token', message: 'Token has expired 3 seconds ago' } as const;
    expect(joinErrorReason(expired)).toBe('InvalidJWTToken: Token has expired 3 seconds ago');
    expect(shutdownMessage(expired)).toBe('Token has expired 3 seconds ago');
    expect(connectError(expired)).toEqual({ status: 401, error: 'Token has expired' });
    expect(joinErrorReason({ error: 'signature_error' })).toBe('JwtSignatureError: Failed to validate JWT signature');
    expect(shutdownMessage({ error: 'signature_error' })).toBe(':signature_error');
    expect(connectError({ error: 'missing_api_key' })).toEqual({ status: 401, error: 'API key is missing' });
  });
});

describe('presence state', () => {
  it('groups entries by key and reports each change as a diff', () => {
    const presence = new TopicPresence<string>();
    const joined = presence.track('socket-a', 'alice', { device: 'phone' })!;
    const phone = joined.joins.alice.metas[0];
    expect(joined).toEqual({ joins: { alice: { metas: [{ device: 'phone', phx_ref: expect.any(String) }] } }, leaves: {} });
    presence.track('socket-b', 'alice', { device: 'laptop' });
    expect(presence.state().alice.metas.map((m) => m.device)).toEqual(['phone', 'laptop']);

    expect(presence.track('socket-a', 'alice', { device: 'phone' })).toBeNull();
    const updated = presence.track('socket-a', 'alice', { device: 'tablet' })!;
    expect(updated.joins.alice.metas[0]).toMatchObject({ device: 'tablet', phx_ref_prev: phone.phx_ref });
    expect(updated.leaves).toEqual({ alice: { metas: [phone] } });

    expect(presence.untrack('socket-b')?.leaves.alice.metas[0]).toMatchObject({ device: 'laptop' });
    expect(presence.untrack('socket-b')).toBeNull();
    expect(presence.state()).toEqual({ alice: { metas: [expect.objectContaining({ device: 'tablet' })] } });
    presence.untrack('socket-a');
    expect(presence.size).toBe(0);
  });
});
