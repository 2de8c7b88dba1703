// Presence of one topic, as Phoenix.Tracker and Phoenix.Presence keep it for Realtime
// (lib/realtime_web/channels/presence.ex, realtime_channel/presence_handler.ex): each joined
// channel tracks at most one entry under its presence key; the state groups entries by key as
// `{key: {metas: [{...payload, phx_ref}]}}`, and every change yields a diff
// `{joins, leaves}` in the same shape (an update leaves the old meta and joins the new one with
// `phx_ref_prev`). Pure, so the shapes are unit tested.
import { randomBytes } from 'node:crypto';

export type Meta = Record<string, unknown> & { phx_ref: string; phx_ref_prev?: string };
export type PresenceState = Record<string, { metas: Meta[] }>;
export interface PresenceDiff {
  joins: PresenceState;
  leaves: PresenceState;
}

interface Entry {
  key: string;
  payload: Record<string, unknown>;
  meta: Meta;
}

function newRef(): string {
  return randomBytes(8).toString('base64');
}

function single(key: string, meta: Meta): PresenceState {
  return { [key]: { metas: [meta] } };
}

export class TopicPresence<Owner> {
  /** Insertion-ordered, so metas under a key keep the order they were tracked in. */
  private readonly entries = new Map<Owner, Entry>();

  get size(): number {
    return this.entries.size;
  }

  /**
   * Tracks `owner` under `key`, or updates its payload; null when nothing changed (Realtime's
   * :no_payload_change).
   */
  track(owner: Owner, key: string, payload: Record<string, unknown>): PresenceDiff | null {
    const previous = this.entries.get(owner);
    if (previous && previous.key === key && JSON.stringify(previous.payload) === JSON.stringify(payload)) return null;
    const meta: Meta = { ...payload, phx_ref: newRef() };
    if (previous) meta.phx_ref_prev = previous.meta.phx_ref;
    this.entries.set(owner, { key, payload, meta });
    return { joins: single(key, meta), leaves: previous ? single(previous.key, previous.meta) : {} };
  }

  /** Removes `owner`'s entry (untrack, leave, socket closed); null if it had none. */
  untrack(owner: Owner): PresenceDiff | null {
    const entry = this.entries.get(owner);
    if (!entry) return null;
    this.entries.delete(owner);
    return { joins: {}, leaves: single(entry.key, entry.meta) };
  }

  state(): PresenceState {
    const state: PresenceState = {};
    for (const { key, meta } of this.entries.values()) (state[key] ??= { metas: [] }).metas.push(meta);
    return state;
  }
}
