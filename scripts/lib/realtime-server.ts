// The local Realtime server: Broadcast and Presence over Phoenix channels at
// /realtime/v1/websocket, mirroring supabase/realtime:
// - the socket (lib/realtime_web/channels/user_socket.ex): the `apikey` must be a valid token
//   signed with the project's secret, else the upgrade is answered 401 with Realtime's message;
//   `vsn` picks the serializer (realtime-serializer.ts); Phoenix's heartbeat on topic `phoenix`;
// - the channel (lib/realtime_web/channels/realtime_channel.ex): join checks the access token
//   (realtime-token.ts) and, for private channels, the RLS read probes
//   (realtime-authorization.ts); the token is re-checked when it expires (the channel is shut
//   down) and when the client sends `access_token` (policies re-evaluated, the channel shut down
//   if reading is no longer allowed);
// - Broadcast (realtime_channel/broadcast_handler.ex): to the topic's other subscribers, or all
//   with `self`, acknowledged with `ack`; on private channels only after the write probe
//   allowed it, and only to subscribers allowed to read (message_dispatcher.ex);
// - broadcast from the database (lib/realtime/tenants/replication_connection.ex): committed rows
//   of realtime.messages go to the subscribers of their topic, private rows to private channels;
// - Presence (realtime_channel/presence_handler.ex, realtime-presence.ts): track/untrack,
//   presence_state after join, presence_diff on every change, entries gone with their channel.
// Postgres Changes is not served: a join asking for it is refused with a clear reason.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import postgres from 'postgres';
import { WebSocket, WebSocketServer } from 'ws';
import {
  emptyPolicies,
  readAuthorizations,
  RlsPolicyError,
  writeAuthorizations,
  type AuthorizationContext,
  type Policies,
} from './realtime-authorization.ts';
import { TopicPresence, type PresenceDiff } from './realtime-presence.ts';
import {
  decodeFrame,
  encodeMessage,
  encodeUserBroadcast,
  ProtocolError,
  replyMessage,
  SUPPORTED_VSNS,
  type PhoenixMessage,
  type UserBroadcast,
  type Vsn,
} from './realtime-serializer.ts';
import { connectError, joinErrorReason, shutdownMessage, verifyToken, type Claims } from './realtime-token.ts';
import { refuseUpgrade, sendJson, type Route } from './gateway.ts';

export const REALTIME_PATH = '/realtime/v1/websocket';

/** Realtime re-checks a joined channel's token at least this often (@confirm_token_ms_interval). */
const CONFIRM_TOKEN_MS = 5 * 60_000;
/** Phoenix closes a socket that sent nothing (not even a heartbeat) for this long. */
const IDLE_TIMEOUT_MS = 60_000;
/** Realtime's websocket max_frame_size. */
const MAX_FRAME_BYTES = 5_000_000;
const NOTIFY_CHANNEL = 'realtime_local_messages';

export interface RealtimeServerOptions {
  /** A connection URL of a role able to switch to the API roles (Realtime's database user). */
  dbUrl: string;
  jwtSecret: string;
  log?: (line: string) => void;
}

export interface RealtimeServer {
  /** Takes an HTTP upgrade for the Realtime path; false leaves the request to the caller. */
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): boolean;
  stop(): Promise<void>;
}

interface Connection {
  ws: WebSocket;
  vsn: Vsn;
  /** The apikey the socket connected with (Realtime's tenant_token). */
  tenantToken: string;
  headers: Record<string, string>;
  channels: Map<string, Channel>;
  /** Frames are handled one at a time per socket, as Phoenix's socket process does. */
  queue: Promise<void>;
  idleTimer: NodeJS.Timeout | null;
}

interface Channel {
  connection: Connection;
  /** The joined topic, `realtime:<sub topic>`. */
  topic: string;
  subTopic: string;
  joinRef: string | null;
  private: boolean;
  /** Public and private channels of the same name are separate topics (Tenants.tenant_topic/3). */
  tenantTopic: string;
  accessToken: string;
  claims: Claims;
  policies: Policies | null;
  presenceEnabled: boolean;
  presenceKey: string;
  ackBroadcast: boolean;
  selfBroadcast: boolean;
  confirmTimer: NodeJS.Timeout | null;
  closed: boolean;
}

function tenantTopic(subTopic: string, isPrivate: boolean): string {
  return isPrivate ? `private:${subTopic}` : `public:${subTopic}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Realtime's FlexibleBoolean: booleans, and "true"/"false" strings. */
function flag(value: unknown): boolean {
  return value === true || value === 'true';
}

/** Headers Realtime passes on as request.headers (Phoenix's x_headers connect info). */
function xHeaders(req: http.IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith('x-') && value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/** Starts the server once it listens for committed messages, so none is missed from then on. */
export async function startRealtimeServer(options: RealtimeServerOptions): Promise<RealtimeServer> {
  const log = options.log ?? (() => {});
  const secret = new TextEncoder().encode(options.jwtSecret);
  const sql = postgres(options.dbUrl, { max: 4, onnotice: () => {} });
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  const connections = new Set<Connection>();
  const subscribers = new Map<string, Set<Channel>>();
  const presences = new Map<string, TopicPresence<Channel>>();
  let stopped = false;

  // ---- sending ----------------------------------------------------------------------------

  function send(connection: Connection, frame: string | Buffer): void {
    if (connection.ws.readyState === WebSocket.OPEN) connection.ws.send(frame);
  }

  function push(connection: Connection, message: PhoenixMessage): void {
    send(connection, encodeMessage(connection.vsn, message));
  }

  function pushToChannel(channel: Channel, event: string, payload: unknown): void {
    push(channel.connection, { joinRef: channel.joinRef, ref: null, topic: channel.topic, event, payload });
  }

  /** shutdown_response/2: a system error naming the reason, then the channel is closed. */
  function shutdown(channel: Channel, message: string): void {
    pushToChannel(channel, 'system', { extension: 'system', status: 'error', message, channel: channel.subTopic });
    closeChannel(channel, true);
  }

  // ---- channel lifecycle ------------------------------------------------------------------

  function closeChannel(channel: Channel, notifyClient: boolean): void {
    if (channel.closed) return;
    channel.closed = true;
    if (channel.confirmTimer) clearTimeout(channel.confirmTimer);
    if (channel.connection.channels.get(channel.topic) === channel) channel.connection.channels.delete(channel.topic);
    const members = subscribers.get(channel.tenantTopic);
    members?.delete(channel);
    if (members?.size === 0) subscribers.delete(channel.tenantTopic);
    untrackPresence(channel);
    // Phoenix answers a channel that stopped normally with phx_close under its join ref.
    if (notifyClient) {
      push(channel.connection, { joinRef: channel.joinRef, ref: channel.joinRef, topic: channel.topic, event: 'phx_close', payload: {} });
    }
  }

  function scheduleTokenCheck(channel: Channel): void {
    if (channel.confirmTimer) clearTimeout(channel.confirmTimer);
    const expDiff = channel.claims.exp - Math.floor(Date.now() / 1000);
    channel.confirmTimer = setTimeout(() => void confirmTokenLater(channel), Math.min(CONFIRM_TOKEN_MS, expDiff * 1000));
  }

  /** handle_info(:confirm_token): an expired token shuts the channel down. */
  async function confirmTokenLater(channel: Channel): Promise<void> {
    channel.confirmTimer = null;
    if (channel.closed) return;
    const check = await verifyToken(channel.accessToken, secret);
    if (channel.closed) return;
    if (check.ok) {
      channel.claims = check.claims;
      scheduleTokenCheck(channel);
    } else {
      shutdown(channel, shutdownMessage(check));
    }
  }

  function authorizationContext(channel: { subTopic: string; claims: Claims; connection: Connection }): AuthorizationContext {
    return { topic: channel.subTopic, claims: channel.claims, headers: channel.connection.headers };
  }

  /** The access token a join uses: its own, else the socket's apikey (assign_access_token/2). */
  function joinAccessToken(connection: Connection, params: Record<string, unknown>): string {
    const token = params.access_token ?? params.user_token;
    if (typeof token !== 'string' || token.startsWith('sb_')) return connection.tenantToken;
    return token;
  }

  async function join(connection: Connection, message: PhoenixMessage): Promise<void> {
    const { topic } = message;
    const refuse = (reason: string) => push(connection, replyMessage(message, 'error', { reason }));
    if (topic === 'realtime:') return refuse('TopicNameRequired: You must provide a topic name');
    const subTopic = topic.slice('realtime:'.length);
    const params = isObject(message.payload) ? message.payload : {};
    const config = isObject(params.config) ? params.config : {};
    const broadcastConfig = isObject(config.broadcast) ? config.broadcast : {};
    const presenceConfig = isObject(config.presence) ? config.presence : {};
    const isPrivate = flag(config.private);
    const presenceEnabled = flag(presenceConfig.enabled);

    // Phoenix closes a channel joined again on the same socket before the new join.
    const existing = connection.channels.get(topic);
    if (existing) closeChannel(existing, true);

    if (Array.isArray(config.postgres_changes) && config.postgres_changes.some((change) => change !== null)) {
      return refuse(
        'PostgresChangesNotAvailable: the local Realtime server serves Broadcast and Presence only; ' +
          'broadcast from the database with realtime.send or realtime.broadcast_changes instead',
      );
    }

    const accessToken = joinAccessToken(connection, params);
    const check = await verifyToken(accessToken, secret);
    if (!check.ok) return refuse(joinErrorReason(check));
    if (check.claims.exp - Math.floor(Date.now() / 1000) <= 0) return refuse('InvalidJWTToken: Token expiration time is invalid');

    const presenceKey = typeof presenceConfig.key === 'string' && presenceConfig.key !== '' ? presenceConfig.key : randomUUID();
    const channel: Channel = {
      connection,
      topic,
      subTopic,
      joinRef: message.joinRef,
      private: isPrivate,
      tenantTopic: tenantTopic(subTopic, isPrivate),
      accessToken,
      claims: check.claims,
      policies: null,
      presenceEnabled,
      presenceKey,
      ackBroadcast: flag(broadcastConfig.ack),
      selfBroadcast: flag(broadcastConfig.self),
      confirmTimer: null,
      closed: false,
    };

    if (isPrivate) {
      const unauthorized = `Unauthorized: You do not have permissions to read from this Channel topic: ${subTopic}`;
      try {
        channel.policies = await readAuthorizations(sql, authorizationContext(channel), emptyPolicies(), { presenceEnabled });
      } catch (error) {
        if (!(error instanceof RlsPolicyError)) throw error;
        log(`realtime: RlsPolicyError on ${subTopic}: ${error.message}`);
        return refuse(unauthorized);
      }
      if (!channel.policies.broadcast.read && !channel.policies.presence.read) return refuse(unauthorized);
    }
    if (connection.ws.readyState !== WebSocket.OPEN) return;

    connection.channels.set(topic, channel);
    let members = subscribers.get(channel.tenantTopic);
    if (!members) subscribers.set(channel.tenantTopic, (members = new Set()));
    members.add(channel);
    scheduleTokenCheck(channel);
    push(connection, replyMessage(message, 'ok', { postgres_changes: [] }));
    if (presenceEnabled) syncPresence(channel);
  }

  /**
   * handle_in("access_token"): a new token is checked and the policies evaluated again. Until
   * they are, deliveries follow the previous ones, as Realtime's fastlane metadata does.
   */
  async function updateAccessToken(channel: Channel, payload: unknown): Promise<void> {
    const token = isObject(payload) ? payload.access_token : undefined;
    if (typeof token !== 'string' || token.startsWith('sb_') || token === channel.accessToken) return;
    const previous = channel.policies;
    channel.accessToken = token;
    const check = await verifyToken(token, secret);
    if (channel.closed) return;
    if (!check.ok) return shutdown(channel, shutdownMessage(check));
    channel.claims = check.claims;
    if (channel.private) {
      const unauthorized = `You do not have permissions to read from this Channel topic: ${channel.subTopic}`;
      let policies: Policies;
      try {
        policies = await readAuthorizations(sql, authorizationContext(channel), emptyPolicies(), {
          presenceEnabled: channel.presenceEnabled,
        });
      } catch (error) {
        if (!(error instanceof RlsPolicyError)) throw error;
        return shutdown(channel, unauthorized);
      }
      if (channel.closed) return;
      channel.policies = policies;
      if (!policies.broadcast.read && !policies.presence.read) return shutdown(channel, unauthorized);
      const revoked = (before: boolean | null | undefined, after: boolean | null) => before === true && after === false;
      if (revoked(previous?.broadcast.read, policies.broadcast.read) || revoked(previous?.presence.read, policies.presence.read)) {
        return shutdown(channel, `You no longer have permission to read from this Channel topic: ${channel.subTopic}`);
      }
    }
    scheduleTokenCheck(channel);
  }

  // ---- Broadcast --------------------------------------------------------------------------

  function canReadBroadcast(channel: Channel): boolean {
    return !channel.private || channel.policies?.broadcast.read === true;
  }

  /** Fans a broadcast out to a topic's subscribers (MessageDispatcher.dispatch/3). */
  function dispatchBroadcast(topicKey: string, from: Channel | null, message: { json: unknown } | { user: UserBroadcast }): void {
    for (const channel of subscribers.get(topicKey) ?? []) {
      if (channel === from || !canReadBroadcast(channel)) continue;
      const { connection } = channel;
      if ('json' in message) {
        push(connection, { joinRef: null, ref: null, topic: channel.topic, event: 'broadcast', payload: message.json });
      } else {
        let frame: string | Buffer | null;
        try {
          frame = encodeUserBroadcast(connection.vsn, channel.topic, message.user);
        } catch (error) {
          log(`realtime: broadcast not encodable for ${channel.topic}: ${(error as Error).message}`);
          continue;
        }
        if (frame !== null) send(connection, frame);
      }
    }
  }

  async function handleBroadcast(channel: Channel, request: PhoenixMessage, message: { json: unknown } | { user: UserBroadcast }) {
    if (channel.private) {
      let policies = channel.policies ?? emptyPolicies();
      if (policies.broadcast.write === null) {
        try {
          policies = await writeAuthorizations(sql, authorizationContext(channel), policies);
        } catch (error) {
          if (!(error instanceof RlsPolicyError)) throw error;
          log(`realtime: RlsPolicyError on ${channel.subTopic}: ${error.message}`);
          return;
        }
        if (channel.closed) return;
        channel.policies = policies;
      }
      // Refused broadcasts are dropped without a reply, as Realtime does.
      if (!policies.broadcast.write) return;
    }
    dispatchBroadcast(channel.tenantTopic, channel.selfBroadcast ? null : channel, message);
    if (channel.ackBroadcast && request.ref !== null) push(channel.connection, replyMessage(request, 'ok'));
  }

  // ---- Presence ---------------------------------------------------------------------------

  function canReadPresence(channel: Channel): boolean {
    return !channel.private || channel.policies?.presence.read === true;
  }

  function syncPresence(channel: Channel): void {
    if (!canReadPresence(channel)) return;
    pushToChannel(channel, 'presence_state', presences.get(channel.tenantTopic)?.state() ?? {});
  }

  function dispatchPresenceDiff(topicKey: string, diff: PresenceDiff): void {
    for (const channel of subscribers.get(topicKey) ?? []) {
      if (canReadPresence(channel)) pushToChannel(channel, 'presence_diff', diff);
    }
  }

  function untrackPresence(channel: Channel): void {
    const presence = presences.get(channel.tenantTopic);
    const diff = presence?.untrack(channel);
    if (presence && presence.size === 0) presences.delete(channel.tenantTopic);
    if (diff) dispatchPresenceDiff(channel.tenantTopic, diff);
  }

  /** handle_in("presence") and PresenceHandler.handle/3: the reply status, or an error reason. */
  async function handlePresence(channel: Channel, payload: unknown): Promise<{ ok: true } | { ok: false; reason?: string }> {
    if (!isObject(payload) || typeof payload.event !== 'string') return { ok: true };
    const event = payload.event.toLowerCase();
    if (event === 'untrack') {
      untrackPresence(channel);
      return { ok: true };
    }
    if (event !== 'track') return { ok: false };
    if (channel.private && channel.policies && channel.policies.presence.write === null) {
      try {
        let policies = channel.policies;
        // Presence enabled by this track: presence.read was not evaluated at join.
        if (policies.presence.read === null) {
          policies = await readAuthorizations(sql, authorizationContext(channel), policies, { presenceEnabled: true });
        }
        channel.policies = await writeAuthorizations(sql, authorizationContext(channel), policies, { presenceEnabled: true });
      } catch (error) {
        if (!(error instanceof RlsPolicyError)) throw error;
        log(`realtime: RlsPolicyError on ${channel.subTopic}: ${error.message}`);
        return { ok: false };
      }
      if (channel.closed) return { ok: false };
    }
    if (channel.private && !channel.policies?.presence.write) return { ok: false };
    const meta = 'payload' in payload ? payload.payload : {};
    if (!isObject(meta)) return { ok: false, reason: 'Presence track payload must be a map' };
    let presence = presences.get(channel.tenantTopic);
    if (!presence) presences.set(channel.tenantTopic, (presence = new TopicPresence()));
    const diff = presence.track(channel, channel.presenceKey, meta);
    channel.presenceEnabled = true;
    if (diff) dispatchPresenceDiff(channel.tenantTopic, diff);
    return { ok: true };
  }

  // ---- frames -----------------------------------------------------------------------------

  async function handleMessage(connection: Connection, message: PhoenixMessage): Promise<void> {
    const { topic, event } = message;
    if (topic === 'phoenix' && event === 'heartbeat') return push(connection, replyMessage(message, 'ok'));
    if (event === 'phx_join') {
      if (!topic.startsWith('realtime:')) return push(connection, replyMessage(message, 'error', { reason: 'unmatched topic' }));
      return join(connection, message);
    }
    const channel = connection.channels.get(topic);
    // Phoenix.Socket: a push to a topic the socket has not joined is answered "unmatched topic";
    // one carrying an older join's ref raced a close and is dropped.
    if (!channel) return push(connection, replyMessage(message, 'error', { reason: 'unmatched topic' }));
    if (message.joinRef !== null && channel.joinRef !== null && message.joinRef !== channel.joinRef) return;
    switch (event) {
      case 'phx_leave':
        push(connection, replyMessage(message, 'ok'));
        return closeChannel(channel, true);
      case 'access_token':
        return updateAccessToken(channel, message.payload);
      case 'broadcast':
        return handleBroadcast(channel, message, { json: message.payload });
      case 'presence': {
        const result = await handlePresence(channel, message.payload);
        if (channel.closed) return;
        if (result.ok) return push(connection, replyMessage(message, 'ok'));
        return push(connection, replyMessage(message, 'error', result.reason ? { reason: result.reason } : {}));
      }
      default:
        // RealtimeChannel.handle_in/3 ignores unexpected messages.
        return;
    }
  }

  function handleFrame(connection: Connection, data: Buffer, isBinary: boolean): Promise<void> {
    let incoming;
    try {
      incoming = decodeFrame(connection.vsn, data, isBinary);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      // Phoenix's socket crashes on a frame its serializer cannot decode.
      log(`realtime: closing a socket after an invalid frame: ${error.message}`);
      connection.ws.close(1011, 'invalid frame');
      return Promise.resolve();
    }
    if (incoming.kind === 'message') return handleMessage(connection, incoming.message);
    const channel = connection.channels.get(incoming.topic);
    const request = { joinRef: incoming.joinRef, ref: incoming.ref, topic: incoming.topic, event: 'broadcast', payload: null };
    if (!channel) {
      push(connection, replyMessage(request, 'error', { reason: 'unmatched topic' }));
      return Promise.resolve();
    }
    if (incoming.joinRef !== null && channel.joinRef !== null && incoming.joinRef !== channel.joinRef) return Promise.resolve();
    return handleBroadcast(channel, request, { user: incoming.broadcast });
  }

  function resetIdleTimer(connection: Connection): void {
    if (connection.idleTimer) clearTimeout(connection.idleTimer);
    connection.idleTimer = setTimeout(() => connection.ws.close(1000, 'idle timeout'), IDLE_TIMEOUT_MS);
  }

  function accept(ws: WebSocket, vsn: Vsn, tenantToken: string, headers: Record<string, string>): void {
    const connection: Connection = { ws, vsn, tenantToken, headers, channels: new Map(), queue: Promise.resolve(), idleTimer: null };
    connections.add(connection);
    resetIdleTimer(connection);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      resetIdleTimer(connection);
      connection.queue = connection.queue
        .then(() => handleFrame(connection, data, isBinary))
        .catch((error) => {
          log(`realtime: ${(error as Error).stack ?? error}`);
          connection.ws.close(1011, 'server error');
        });
    });
    ws.on('close', () => {
      connections.delete(connection);
      if (connection.idleTimer) clearTimeout(connection.idleTimer);
      for (const channel of [...connection.channels.values()]) closeChannel(channel, false);
    });
    ws.on('error', (error) => log(`realtime: socket error: ${error.message}`));
  }

  // ---- broadcast from the database -------------------------------------------------------

  let pendingIds: string[] = [];
  let flushing: Promise<void> = Promise.resolve();

  /** Reads the notified rows in one query, in commit order, and hands them to their topics. */
  async function deliverRows(ids: string[]): Promise<void> {
    const rows = await sql<{ id: string; topic: string | null; event: string | null; private: boolean | null; payload: string | null }[]>`
      select id, topic, event, private, payload::text as payload
      from realtime.messages where id = any(${ids}::uuid[])`;
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const id of ids) {
      const row = byId.get(id);
      // ReplicationConnection skips rows without an event, topic or payload.
      if (!row || row.event === null || row.topic === null || row.private === null || row.payload === null) continue;
      dispatchBroadcast(tenantTopic(row.topic, row.private), null, {
        user: { userEvent: row.event, encoding: 'json', body: Buffer.from(row.payload), metadata: { id: row.id } },
      });
    }
  }

  function onNotify(id: string): void {
    pendingIds.push(id);
    if (pendingIds.length > 1) return;
    flushing = flushing.then(async () => {
      const ids = pendingIds;
      pendingIds = [];
      if (subscribers.size === 0 || stopped) return;
      await deliverRows(ids).catch((error) => log(`realtime: reading realtime.messages failed: ${(error as Error).message}`));
    });
  }

  let listener: Awaited<ReturnType<typeof sql.listen>>;
  try {
    listener = await sql.listen(NOTIFY_CHANNEL, onNotify);
  } catch (error) {
    await sql.end({ timeout: 5 });
    throw error;
  }

  // ---- HTTP -------------------------------------------------------------------------------

  function handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== REALTIME_PATH) return false;
    const vsn = (url.searchParams.get('vsn') ?? '1.0.0') as Vsn;
    if (!SUPPORTED_VSNS.includes(vsn)) {
      refuseUpgrade(socket, 400, { error: `unsupported vsn ${vsn}` });
      return true;
    }
    const header = req.headers['x-api-key'];
    const apikey = typeof header === 'string' ? header : url.searchParams.get('apikey');
    void (async () => {
      if (apikey === null) return refuseUpgrade(socket, 401, { error: connectError({ error: 'missing_api_key' }).error });
      const check = await verifyToken(apikey, secret);
      if (!check.ok) {
        const { status, error } = connectError(check);
        return refuseUpgrade(socket, status, { error });
      }
      if (stopped) return socket.destroy();
      wss.handleUpgrade(req, socket, head, (ws) => accept(ws, vsn, apikey, xHeaders(req)));
    })().catch((error) => {
      log(`realtime: upgrade failed: ${(error as Error).message}`);
      socket.destroy();
    });
    return true;
  }

  return {
    handleUpgrade,
    async stop() {
      stopped = true;
      for (const connection of connections) {
        if (connection.idleTimer) clearTimeout(connection.idleTimer);
        for (const channel of [...connection.channels.values()]) closeChannel(channel, false);
        connection.ws.terminate();
      }
      wss.close();
      await listener.unlisten().catch(() => {});
      await flushing;
      await sql.end({ timeout: 5 });
    },
  };
}

/**
 * The gateway's /realtime/v1 route: the WebSocket, and a 501 for Realtime's HTTP API (broadcast
 * over REST), which the local server does not serve.
 */
export function realtimeRoute(realtime: RealtimeServer): Route {
  const httpApi = {
    message: 'Realtime\'s HTTP API is not served by the Docker-free local stack (npm start); its ' +
      `WebSocket is, at ${REALTIME_PATH}. \`npx supabase start\` runs the full platform where Docker is available.`,
  };
  return {
    request: (_req, res) => sendJson(res, 501, httpApi),
    upgrade(req, socket, head) {
      if (!realtime.handleUpgrade(req, socket, head)) refuseUpgrade(socket, 404, { message: 'no Route matched with those values' });
    },
  };
}
