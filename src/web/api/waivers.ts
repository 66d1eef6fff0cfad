import { z } from 'zod';
import { hasControlCharacter, isSafeName, isTargetPart } from '../../core/names.js';
import type { WebDeps } from '../deps.js';
import { RunParams } from '../schemas.js';
import { runUrl } from '../views.js';
import { recheckFailedAs, revokeWaiverAs, waiveAs, waiverView } from '../waivers.js';
import { actorOf, apiRoute, type AnyApiRoute } from './route.js';

// Waivers and `recheck failed` (docs/lifecycle.md, docs/web.md).

const NO_CONTROL = [(s: string) => !hasControlCharacter(s), { error: 'must not contain control characters (tabs and newlines are fine)' }] as const;
const ms = z.int().meta({ description: 'Milliseconds since the epoch.' });

export const WaiverBody = z.strictObject({
  target: z.string().refine((t) => t.split('/').length === 2 && t.split('/').every(isTargetPart), { error: 'target must be RELEASE/DIST, e.g. kilo/epel-7' }),
  test: z.string().trim().min(1).max(500).refine(...NO_CONTROL).optional().meta({ description: 'Waive only this test: it covers the job when it is the job\'s only failed test.' }),
  reason: z.string().trim().min(1, { error: 'reason must say why the failure does not block the update' }).max(500).refine(...NO_CONTROL),
  expires: z.string().max(20).optional().meta({ description: 'How long the waiver lasts: a duration such as 12h or 7d (default 7d, at most 90d).' }),
});
export const WaiverSchema = z.object({
  id: z.string(), updateId: z.string(), contentHash: z.string(), target: z.string(), test: z.string().nullable(), reason: z.string(), by: z.string(),
  createdAt: ms, expiresAt: ms, revokedAt: ms.nullable(), revokedBy: z.string().nullable(), revokeReason: z.string().nullable(),
  standing: z.enum(['active', 'expired', 'revoked']),
}).meta({ id: 'Waiver' });
export const WaiveResultSchema = z.object({
  waiver: WaiverSchema,
  run: z.object({ runId: z.string(), verdict: z.string(), because: z.string(), changed: z.boolean(), url: z.string() }).nullable()
    .meta({ description: 'The latest finished phase1 run of the content, given its verdict again (reported again when it changed); null when none has finished.' }),
});
const WaiverParams = z.object({ id: z.string().regex(/^w[a-z0-9]{1,40}$/, { error: 'a waiver id is w followed by letters and digits' }) });
const WaiversQuery = z.strictObject({ update: z.string().refine(isSafeName, { error: 'update must be an update id' }).optional() });
const RevokeBody = z.strictObject({ reason: z.string().trim().min(1).max(500).refine(...NO_CONTROL).optional() });
const RecheckFailedResultSchema = z.object({ runId: z.string(), recheckOf: z.string(), rerun: z.array(z.string()), carried: z.array(z.string()), url: z.string() });

export function waiverRoutes(d: WebDeps): AnyApiRoute[] {
  return [
    apiRoute({
      method: 'POST', path: '/api/runs/{id}/waivers', tag: 'actions', access: 'action', status: 201,
      summary: 'Waive a failed job of a phase1 run for its update\'s content; the run is given its verdict again (role: release)',
      params: RunParams, body: WaiverBody, response: WaiveResultSchema, errors: ['E_NOT_FOUND', 'E_WAIVER_REFUSED'],
      handle: async ({ params, body, request }) => {
        const r = await waiveAs(d, actorOf(request), params.id, body);
        return { waiver: waiverView(r.waiver, d.now()), run: r.recollated ? { ...r.recollated, url: runUrl(r.recollated.runId) } : null };
      },
    }),
    apiRoute({
      method: 'POST', path: '/api/waivers/{id}/revoke', tag: 'actions', access: 'action',
      summary: 'Revoke a waiver: kept, marked revoked; it covers no failure from now on (role: release)',
      params: WaiverParams, body: RevokeBody, response: WaiverSchema, errors: ['E_NOT_FOUND', 'E_WAIVER_REFUSED'],
      handle: async ({ params, body, request }) => waiverView(await revokeWaiverAs(d, actorOf(request), params.id, body.reason), d.now()),
    }),
    apiRoute({
      method: 'GET', path: '/api/waivers', tag: 'runs', access: 'read', summary: 'Waivers, newest first (active, expired and revoked), of one update or all',
      query: WaiversQuery, response: z.object({ items: z.array(WaiverSchema) }),
      handle: async ({ query }) => ({ items: (await d.store.listWaivers(query.update === undefined ? {} : { updateId: query.update })).map((w) => waiverView(w, d.now())) }),
    }),
    apiRoute({
      method: 'POST', path: '/api/runs/{id}/recheck-failed', tag: 'actions', access: 'action', status: 201,
      summary: 'Run again only the targets of a phase1 run that did not pass, carrying its passes; from the latest run of its content (role: packager)',
      params: RunParams, response: RecheckFailedResultSchema, errors: ['E_NOT_FOUND', 'E_RECHECK_NOT_LATEST', 'E_NOTHING_TO_DO'],
      handle: async ({ params, request }) => {
        const r = await recheckFailedAs(d, actorOf(request), params.id);
        return { ...r, rerun: [...r.rerun], carried: [...r.carried], url: runUrl(r.runId) };
      },
    }),
  ];
}
