import { approvePromote } from '../pipelines/promote/gates.js';
import { parseDuration } from '../core/duration.js';
import { isReadable } from '../core/records/run-record.js';
import { pipelineNamed } from '../pipelines/registry.js';
import { ApiError } from './api-error.js';
import type { WebDeps } from './deps.js';
import { startPipeline } from './pipelines.js';
import { recheckRun } from './recheck.js';
import { requireRole, START_ACTIONS, type Action, type Identity } from './roles.js';

// The writes a person asks of the server, shared by the API and the dashboard's forms:
// each checks the person's role first, acts in their name (never a name the request
// gives), and records a `web.action` event saying who did what.

export async function recordAction(d: WebDeps, who: Identity, action: Action, about: { runId?: string | null; target?: string | null }): Promise<void> {
  await d.store.appendEvent({ kind: 'web.action', at: d.now(), runId: about.runId ?? null, payload: { action, by: who.person, via: who.via, runId: about.runId ?? null, target: about.target ?? null } });
}

export function configuredTarget(d: WebDeps, release: string, dist: string): string {
  const target = `${release}/${dist}`;
  if (!(target in d.site.config.targets)) {
    throw new ApiError('E_TARGET_NOT_CONFIGURED', `unknown target "${target}" (configured: ${Object.keys(d.site.config.targets).join(', ')})`);
  }
  return target;
}

/** A phase1 run is run again (packager); a run whose recheck starts its pipeline anew needs that pipeline's role (release). */
export function recheckAction(pipeline: string): Action {
  return pipelineNamed(pipeline)?.recheck === 'start-again' ? 'recheck-pipeline' : 'recheck';
}

export async function recheckAs(d: WebDeps, who: Identity, runId: string): Promise<{ runId: string; kind: 'started' | 'coalesced'; recheckOf: string }> {
  const old = await d.store.getRun(runId);
  if (!old) throw new ApiError('E_NOT_FOUND', `no run "${runId}"`);
  requireRole(who, isReadable(old) ? recheckAction(old.pipeline) : 'recheck');
  const r = await recheckRun(d, old);
  await recordAction(d, who, 'recheck', { runId: r.runId });
  d.notify?.();
  return { ...r, recheckOf: old.id };
}

export async function cancelAs(d: WebDeps, who: Identity, runId: string, reason: string | undefined) {
  requireRole(who, 'cancel');
  const r = await d.store.cancelRun({ runId, now: d.now(), reason: reason ?? `cancelled by ${who.person} through ${who.via === 'session' ? 'the dashboard' : 'the API'}` });
  if (!r.ok && r.code === 'not_found') throw new ApiError('E_NOT_FOUND', `no run "${runId}"`);
  if (!r.ok) throw new ApiError('E_RUN_FINISHED', `run ${runId} had finished already: nothing to cancel`);
  await recordAction(d, who, 'cancel', { runId });
  d.notify?.();
  return r;
}

export async function disableAs(d: WebDeps, who: Identity, release: string, dist: string, reason: string, untilText: string | undefined) {
  requireRole(who, 'disable-target');
  const target = configuredTarget(d, release, dist);
  const now = d.now();
  const until = untilText === undefined || untilText.trim() === '' ? null : parseUntil(untilText.trim(), now);
  const r = await d.store.disableTarget({ target, reason, by: who.person, now, until });
  if (!r.ok) throw new ApiError('E_REQUEST_INVALID', 'body.until: must be later than now', [{ path: 'body.until', message: 'must be later than now' }]);
  await recordAction(d, who, 'disable-target', { target });
  return { target, until };
}

export async function enableAs(d: WebDeps, who: Identity, release: string, dist: string) {
  requireRole(who, 'enable-target');
  const target = configuredTarget(d, release, dist);
  const r = await d.store.enableTarget({ target, by: who.person, now: d.now() });
  if (!r.ok) throw new ApiError('E_TARGET_NOT_DISABLED', `${target} is not disabled`);
  await recordAction(d, who, 'enable-target', { target });
  return { target };
}

export async function startAs(d: WebDeps, who: Identity, pipeline: keyof typeof START_ACTIONS) {
  requireRole(who, START_ACTIONS[pipeline]);
  const r = await startPipeline(d, pipeline);
  await recordAction(d, who, START_ACTIONS[pipeline], { runId: r.runId });
  d.notify?.();
  return r;
}

/** Adds a package to the store's must-provision list, or removes one that was added (sluice.yaml's own are the file's). */
export async function mustProvisionAs(d: WebDeps, who: Identity, change: 'add' | 'remove', pkg: string, reason: string): Promise<{ changed: boolean; by: string; at: number; reason: string }> {
  requireRole(who, 'must-provision');
  if (d.site.config.must_provision.includes(pkg)) {
    if (change === 'add') return { changed: false, by: 'sluice.yaml', at: 0, reason: `listed in ${d.site.config.file}` };
    throw new ApiError('E_MUST_PROVISION_IN_CONFIG', `${pkg} is listed in ${d.site.config.file}: remove it there`);
  }
  const input = { package: pkg, by: who.person, reason, now: d.now() };
  if (change === 'add') {
    const r = await d.store.addMustProvision(input);
    if (r.ok) await recordAction(d, who, 'must-provision', {});
    return { changed: r.ok, by: r.entry.addedBy, at: r.entry.addedAt, reason: r.entry.reason };
  }
  const r = await d.store.removeMustProvision(input);
  if (!r.ok) throw new ApiError('E_NOT_FOUND', `${pkg} is not on the must-provision list`);
  await recordAction(d, who, 'must-provision', {});
  return { changed: true, by: who.person, at: input.now, reason };
}

/** `12h` from now, or an ISO 8601 time, as `sluice targets disable --until` takes it. */
function parseUntil(text: string, now: number): number {
  const ms = parseDuration(text);
  const at = ms !== undefined ? now + ms : Date.parse(text);
  const bad = (message: string) => new ApiError('E_REQUEST_INVALID', `body.until: ${message}`, [{ path: 'body.until', message }]);
  if (Number.isNaN(at)) throw bad(`"${text}" is neither a duration (12h, 2d) nor an ISO time`);
  if (at <= now) throw bad(`"${text}" is in the past`);
  return at;
}

/** A release manager approves the set a waiting promote publishes (the API and the run page's button). */
export async function approveAs(d: WebDeps, who: Identity, runId: string, setHash: string) {
  requireRole(who, 'approve-promote');
  const r = await approvePromote({ store: d.store, runId, setHash, by: who.person, via: who.via === 'session' ? 'dashboard' : 'api', now: d.now() });
  if (!r.ok) throw new ApiError(r.code, r.message);
  if (!r.already) await recordAction(d, who, 'approve-promote', { runId });
  d.notify?.();
  return r;
}
