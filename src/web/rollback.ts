import { z } from 'zod';
import { hasControlCharacter } from '../core/names.js';
import { mirrorHosts, ROLLBACK_STREAM, rollbackProduction } from '../drivers/publish/index.js';
import { ApiError } from './api-error.js';
import type { WebDeps } from './deps.js';
import { recordAction } from './operations.js';
import { requireRole, type Identity } from './roles.js';

// `POST /api/production/rollback` (docs/promote.md, "Rollback"): what `sluice rollback`
// does, in the name of the token's person.

const TREE_OR_RUN = /^[A-Za-z0-9][A-Za-z0-9._:+-]{0,150}$/;
const TARGET = /^[A-Za-z0-9.+-]{1,64}\/[A-Za-z0-9.+-]{1,64}$/;

export const RollbackBody = z.strictObject({
  reason: z.string().trim().min(1, { error: 'reason must say why production goes back' }).max(500)
    .refine((s) => !hasControlCharacter(s), { error: 'must not contain control characters (tabs and newlines are fine)' }),
  to: z.string().regex(TREE_OR_RUN, { error: 'to must be a kept tree\'s name or a run id' }).optional()
    .meta({ description: 'A kept tree (`000005-r-…`) or the run that published it; default: each target\'s previous tree.' }),
  targets: z.array(z.string().regex(TARGET, { error: 'a target is release/dist' })).min(1).max(100).optional()
    .meta({ description: 'Only these targets; default: every target.' }),
});

export const RollbackResultSchema = z.object({
  by: z.string(),
  reason: z.string(),
  targets: z.array(z.object({ target: z.string(), from: z.string(), to: z.string() })),
  mirrors: z.array(z.string()),
});

export async function rollbackAs(d: WebDeps, who: Identity, body: z.output<typeof RollbackBody>): Promise<z.output<typeof RollbackResultSchema>> {
  requireRole(who, 'rollback');
  for (const t of body.targets ?? []) {
    if (!(t in d.site.config.targets)) throw new ApiError('E_TARGET_NOT_CONFIGURED', `unknown target "${t}" (configured: ${Object.keys(d.site.config.targets).join(', ')})`);
  }
  const r = await rollbackProduction({
    productionRoot: d.site.resolvePath(d.site.config.promote.production),
    mirrors: mirrorHosts(d.site.config.promote.mirrors, (p) => d.site.resolvePath(p)),
    ...(body.to === undefined ? {} : { to: body.to }), ...(body.targets === undefined ? {} : { targets: body.targets }),
  });
  if (!r.ok) throw new ApiError(r.kind === 'refused' ? 'E_NO_KEPT_TREE' : 'E_ROLLBACK_FAILED', r.error);
  await d.store.appendEvent({
    at: d.now(), kind: 'production.rolled_back', runId: ROLLBACK_STREAM,
    payload: { by: who.person, via: who.via, reason: body.reason, to: body.to ?? null, targets: r.targets, mirrors: [...r.mirrors] },
  });
  await recordAction(d, who, 'rollback', {});
  d.notify?.();
  return { by: who.person, reason: body.reason, targets: [...r.targets], mirrors: [...r.mirrors] };
}
