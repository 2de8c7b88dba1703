// The Phoenix socket serializers the local Realtime server speaks, chosen per socket by the
// `vsn` query parameter as Realtime's endpoint does (lib/realtime_web/endpoint.ex):
// - 1.0.0: Phoenix.Socket.V1.JSONSerializer, every frame a JSON object;
// - 2.0.0: RealtimeWeb.Socket.V2Serializer (lib/realtime_web/socket/v2_serializer.ex), text
//   frames as JSON arrays [join_ref, ref, topic, event, payload] plus two binary frames for
//   user broadcasts: "user broadcast push" (kind 3, client → server) and "user broadcast"
//   (kind 4, server → client, lib/realtime_web/socket/user_broadcast.ex).
// realtime-js 2.x connects with vsn 2.0.0 and sends every broadcast whose payload has an event as
// a kind 3 frame; it decodes kind 4 frames and JSON arrays.

export type Vsn = '1.0.0' | '2.0.0';

export const SUPPORTED_VSNS: readonly Vsn[] = ['1.0.0', '2.0.0'];

/** A Phoenix message: what a text frame carries in either serializer. */
export interface PhoenixMessage {
  joinRef: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: unknown;
}

/**
 * A broadcast whose user payload travels as raw bytes (JSON text or binary), as Realtime keeps
 * it from a kind 3 frame or a realtime.messages row to the subscribers' kind 4 frames.
 */
export interface UserBroadcast {
  userEvent: string;
  encoding: 'json' | 'binary';
  body: Buffer;
  /** Sent as the frame's metadata (Realtime sets `{id}` for messages from the database). */
  metadata: Record<string, unknown> | null;
}

export type Incoming =
  | { kind: 'message'; message: PhoenixMessage }
  | { kind: 'user_broadcast'; joinRef: string | null; ref: string | null; topic: string; broadcast: UserBroadcast };

export class ProtocolError extends Error {}

const USER_BROADCAST_PUSH = 3;
const USER_BROADCAST = 4;
const JSON_ENCODING = 1;

function refOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

/** Decodes one frame from a client; throws ProtocolError for anything the serializer rejects. */
export function decodeFrame(vsn: Vsn, data: Buffer, isBinary: boolean): Incoming {
  if (isBinary) {
    if (vsn === '1.0.0') throw new ProtocolError('binary frames need vsn 2.0.0');
    return decodeBinary(data);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch {
    throw new ProtocolError('frame is not JSON');
  }
  if (vsn === '2.0.0') {
    if (!Array.isArray(parsed) || parsed.length < 5) throw new ProtocolError('expected V2 array');
    const [joinRef, ref, topic, event, payload] = parsed;
    if (typeof topic !== 'string' || typeof event !== 'string') throw new ProtocolError('topic and event must be strings');
    return { kind: 'message', message: { joinRef: refOrNull(joinRef), ref: refOrNull(ref), topic, event, payload } };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ProtocolError('expected V1 object');
  const object = parsed as Record<string, unknown>;
  if (typeof object.topic !== 'string' || typeof object.event !== 'string') {
    throw new ProtocolError('topic and event must be strings');
  }
  return {
    kind: 'message',
    message: {
      joinRef: refOrNull(object.join_ref),
      ref: refOrNull(object.ref),
      topic: object.topic,
      event: object.event,
      payload: object.payload,
    },
  };
}

function decodeBinary(data: Buffer): Incoming {
  // kind, join_ref size, ref size, topic size, user event size, metadata size, encoding
  if (data.length < 7 || data[0] !== USER_BROADCAST_PUSH) throw new ProtocolError('unsupported binary frame');
  const sizes = [data[1], data[2], data[3], data[4], data[5]];
  let offset = 7;
  const fields: string[] = [];
  for (const size of sizes) {
    if (offset + size > data.length) throw new ProtocolError('truncated binary frame');
    fields.push(data.subarray(offset, offset + size).toString('utf8'));
    offset += size;
  }
  const [joinRef, ref, topic, userEvent, metadataText] = fields;
  let metadata: Record<string, unknown> = {};
  if (metadataText) {
    try {
      metadata = JSON.parse(metadataText) as Record<string, unknown>;
    } catch {
      throw new ProtocolError('metadata is not JSON');
    }
  }
  return {
    kind: 'user_broadcast',
    joinRef: joinRef === '' ? null : joinRef,
    ref: ref === '' ? null : ref,
    topic,
    broadcast: {
      userEvent,
      encoding: data[6] === JSON_ENCODING ? 'json' : 'binary',
      body: Buffer.from(data.subarray(offset)),
      metadata,
    },
  };
}

/** Encodes a message as a text frame. */
export function encodeMessage(vsn: Vsn, message: PhoenixMessage): string {
  if (vsn === '2.0.0') {
    return JSON.stringify([message.joinRef, message.ref, message.topic, message.event, message.payload]);
  }
  return JSON.stringify({
    topic: message.topic,
    event: message.event,
    payload: message.payload,
    ref: message.ref,
    join_ref: message.joinRef,
  });
}

/** A phx_reply, as Phoenix answers a push that carried a ref. */
export function replyMessage(
  request: { joinRef: string | null; ref: string | null; topic: string },
  status: 'ok' | 'error',
  response: unknown = {},
): PhoenixMessage {
  return { joinRef: request.joinRef, ref: request.ref, topic: request.topic, event: 'phx_reply', payload: { status, response } };
}

function byteSize(value: string | Buffer, what: string): number {
  const size = typeof value === 'string' ? Buffer.byteLength(value) : value.length;
  if (size > 255) throw new ProtocolError(`${what} must be at most 255 bytes, is ${size}`);
  return size;
}

/**
 * A user broadcast for a subscriber of `topic`: a kind 4 frame for V2, the JSON broadcast a V1
 * socket understands otherwise (UserBroadcast.convert_to_json_broadcast), or null when a V1
 * socket cannot represent it (binary payloads), which Realtime drops for that socket.
 */
export function encodeUserBroadcast(vsn: Vsn, topic: string, broadcast: UserBroadcast): string | Buffer | null {
  if (vsn === '1.0.0') {
    if (broadcast.encoding !== 'json') return null;
    const payload: Record<string, unknown> = {
      event: broadcast.userEvent,
      payload: JSON.parse(broadcast.body.toString('utf8')),
      type: 'broadcast',
    };
    if (broadcast.metadata) payload.meta = broadcast.metadata;
    return encodeMessage(vsn, { joinRef: null, ref: null, topic, event: 'broadcast', payload });
  }
  const metadata = broadcast.metadata && Object.keys(broadcast.metadata).length > 0 ? JSON.stringify(broadcast.metadata) : '';
  const header = Buffer.from([
    USER_BROADCAST,
    byteSize(topic, 'topic'),
    byteSize(broadcast.userEvent, 'user event'),
    byteSize(metadata, 'metadata'),
    broadcast.encoding === 'json' ? JSON_ENCODING : 0,
  ]);
  return Buffer.concat([header, Buffer.from(topic), Buffer.from(broadcast.userEvent), Buffer.from(metadata), broadcast.body]);
}
