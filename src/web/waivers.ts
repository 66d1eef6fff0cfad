import { parseDuration } from '../core/duration.js';
import { waiverRefusal, waiverStanding, WAIVER_DEFAULT_EXPIRY, WAIVER_MAX_MS, type Waiver } from '../core/waivers.js';
import { newRunId } from '../engine/hash.js';
import { recheckFailed } from '../pipelines/phase1/recheck-failed.js';
import type { Recollated } from '../store/index.js';
import { ApiError } from './api-error.js';
import type { WebDeps } from './deps.js';
import { recordAction } from './operations.js';
import { requireRole, type Identity } from './roles.js';

// Waivers and `recheck failed` through the API and the dashboard (docs/lifecycle.md): each
// checks the person's role, acts in their name, and records a `web.action` event.

export async function waiveAs(d: WebDeps, who: Identity, runId: string, body: { target: string; test?: string | undefined; reason: string; expires?: string | undefined }): Promise<{ waiver: Waiver; recollated: Recollated | null }> {
  requireRole(who, 'waive');
  const expiry = body.expires ?? WAIVER_DEFAULT_EXPIRY;
  const ms = parseDuration(expiry);
  if (ms === undefined || ms > WAIVER_MAX_MS) throw new ApiError('E_REQUEST_INVALID', 'body.expires: a duration (12h, 7d) of at most 90d', [{ path: 'body.expires', message: 'a duration (12h, 7d) of at most 90d' }]);
  const now = d.now();
  const test = body.test ?? null;
  const r = await d.store.addWaiver({ runId, target: body.target, test, reason: body.reason, by: who.person, now, expiresAt: now + ms });
  if (!r.ok) throw new ApiError(r.code === 'not_found' ? 'E_NOT_FOUND' : 'E_WAIVER_REFUSED', waiverRefusal(r.code, runId, body.target, test));
  await recordAction(d, who, 'waive', { runId, target: body.target });
  // The run owes its report again (merge, Gerrit vote): wake the outbox.
  if (r.recollated?.changed) d.notify?.();
  return r;
}

export async function revokeWaiverAs(d: WebDeps, who: Identity, id: string, reason: string | undefined): Promise<Waiver> {
  requireRole(who, 'waive');
  const r = await d.store.revokeWaiver({ id, by: who.person, reason: reason ?? `revoked by ${who.person}`, now: d.now() });
  if (!r.ok && r.code === 'not_found') throw new ApiError('E_NOT_FOUND', `no waiver "${id}"`);
  if (!r.ok) throw new ApiError('E_WAIVER_REFUSED', `waiver ${id} is revoked already`);
  await recordAction(d, who, 'waive', {});
  return r.waiver;
}

export async function recheckFailedAs(d: WebDeps, who: Identity, runId: string): Promise<{ runId: string; recheckOf: string; rerun: readonly string[]; carried: readonly string[] }> {
  requireRole(who, 'recheck');
  const old = await d.store.getRun(runId);
  if (!old) throw new ApiError('E_NOT_FOUND', `no run "${runId}"`);
  const now = d.now();
  const r = await recheckFailed(d.store, old, { runId: newRunId(now), now });
  if (!r.ok) throw new ApiError(r.code === 'E_USAGE' ? 'E_REQUEST_INVALID' : r.code, r.message);
  await recordAction(d, who, 'recheck', { runId: r.runId });
  d.notify?.();
  return { runId: r.runId, recheckOf: old.id, rerun: r.rerun, carried: r.carried };
}

/** A waiver as the API shows it. */
export function waiverView(w: Waiver, now: number) {
  return { ...w, standing: waiverStanding(w, now) };
}
