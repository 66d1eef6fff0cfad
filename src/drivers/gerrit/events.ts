/**
 * Gerrit's events as Sluice reads them. `gerrit stream-events` writes one JSON object per
 * line and the events (webhooks) plugin POSTs the same objects; Gerrit's docs warn that
 * any field may be missing, so each is read defensively and an event lacking what its
 * kind needs is dropped (undefined), never guessed at.
 */

/** A Gerrit account as events and REST name it; any part may be absent. */
export interface GerritAccount {
  readonly name?: string;
  readonly email?: string;
  readonly username?: string;
  readonly accountId?: number;
}

/** Which change, and which of its patch sets. */
export interface ChangeRef {
  readonly project: string;
  readonly branch: string;
  readonly change: number;
}

export type GerritEvent =
  | (ChangeRef & { readonly kind: 'patchset'; readonly patchset: number; readonly revision: string; readonly at: number })
  | (ChangeRef & { readonly kind: 'comment'; readonly patchset: number; readonly author: GerritAccount; readonly text: string; readonly at: number })
  | (ChangeRef & { readonly kind: 'topic'; readonly at: number })
  | (ChangeRef & { readonly kind: 'closed'; readonly how: 'merged' | 'abandoned'; readonly at: number })
  | { readonly kind: 'ref'; readonly project: string; readonly refName: string; readonly newRev: string; readonly at: number };

/** The stream-events types Sluice listens to (`gerrit stream-events -s TYPE`). */
export const SUBSCRIBED_TYPES = ['patchset-created', 'comment-added', 'topic-changed', 'change-merged', 'change-abandoned', 'ref-updated'] as const;

/** Parses one line of the stream (or one webhook body); undefined for anything not usable. */
export function parseEventLine(line: string, arrivedAt = 0): GerritEvent | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined;
  }
  return parseEvent(raw, arrivedAt);
}

/**
 * `arrivedAt` (ms) stands in for the event's time when Gerrit gave none: events of Gerrit
 * 2.x carry no `eventCreatedOn`, and a time of 0 would make every earlier request look
 * newer than a `recheck`. A patch set's own `createdOn` is preferred to it.
 */
export function parseEvent(raw: unknown, arrivedAt = 0): GerritEvent | undefined {
  const o = obj(raw);
  if (!o) return undefined;
  // eventCreatedOn is in seconds; Sluice's times are milliseconds.
  const created = num(o.eventCreatedOn);
  const at = created ? created * 1000 : arrivedAt;
  if (o.type === 'ref-updated') {
    const u = obj(o.refUpdate);
    const project = str(u?.project);
    const refName = str(u?.refName);
    const newRev = str(u?.newRev);
    return project && refName && newRev ? { kind: 'ref', project, refName, newRev, at } : undefined;
  }
  const change = changeRef(o.change);
  if (!change) return undefined;
  const ps = obj(o.patchSet);
  const patchset = num(ps?.number);
  switch (o.type) {
    case 'patchset-created': {
      const revision = str(ps?.revision);
      const psCreated = num(ps?.createdOn);
      return patchset && revision ? { ...change, kind: 'patchset', patchset, revision, at: !created && psCreated ? psCreated * 1000 : at } : undefined;
    }
    case 'comment-added': {
      const text = typeof o.comment === 'string' ? o.comment : undefined;
      return patchset && text !== undefined ? { ...change, kind: 'comment', patchset, author: account(o.author), text, at } : undefined;
    }
    case 'topic-changed':
      return { ...change, kind: 'topic', at };
    case 'change-merged':
      return { ...change, kind: 'closed', how: 'merged', at };
    case 'change-abandoned':
      return { ...change, kind: 'closed', how: 'abandoned', at };
    default:
      return undefined;
  }
}

function changeRef(raw: unknown): ChangeRef | undefined {
  const c = obj(raw);
  const project = str(c?.project);
  const branch = str(c?.branch);
  // `number` was a string in Gerrit 2.x events and is an integer since.
  const change = num(c?.number);
  return project && branch && change ? { project, branch, change } : undefined;
}

export function account(raw: unknown): GerritAccount {
  const a = obj(raw);
  const name = str(a?.name);
  const email = str(a?.email);
  const username = str(a?.username);
  const accountId = num(a?._account_id);
  return { ...(name ? { name } : {}), ...(email ? { email } : {}), ...(username ? { username } : {}), ...(accountId ? { accountId } : {}) };
}

/** Whether two account records name the same person: username, else email, else id. */
export function sameAccount(a: GerritAccount, b: GerritAccount): boolean {
  if (a.username && b.username) return a.username === b.username;
  if (a.email && b.email) return a.email.toLowerCase() === b.email.toLowerCase();
  return a.accountId !== undefined && a.accountId === b.accountId;
}

export function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function num(v: unknown): number | undefined {
  const n = typeof v === 'string' && /^[0-9]+$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : undefined;
}
