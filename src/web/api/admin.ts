import { z } from 'zod';
import { ApiError } from '../api-error.js';
import type { WebDeps } from '../deps.js';
import { recordAction } from '../operations.js';
import { requireRole } from '../roles.js';
import { actorOf, apiRoute, type AnyApiRoute } from './route.js';

export const ReloadResultSchema = z.object({
  outcome: z.enum(['reloaded', 'unchanged']),
  file: z.string(),
  hash: z.string().meta({ description: 'SHA-256 of the file now in use.' }),
  previousHash: z.string().nullable().meta({ description: 'SHA-256 of the file it replaced; null when unchanged.' }),
  changed: z.array(z.string()).meta({ description: 'Top-level keys whose values changed.' }),
  needsRestart: z.array(z.string()).meta({ description: 'Changed keys that take effect only when sluice serve restarts (store, web, triggers).' }),
}).meta({ id: 'ReloadResult' });

/** The operator's actions on the server itself: each needs a token of the admin role. */
export function adminRoutes(d: WebDeps): AnyApiRoute[] {
  return [
    apiRoute({
      method: 'POST', path: '/api/admin/reload', tag: 'admin', access: 'action',
      summary: 'Reload sluice.yaml as SIGHUP does: validated first; a bad file changes nothing and the answer names each problem\'s position (role: admin)',
      description: 'New jobs and the next schedule firings use the new file; running jobs finish as planned. Changes to `store`, `web` and `triggers` wait for a restart (`needsRestart`).',
      response: ReloadResultSchema, errors: ['E_CONFIG_RELOAD_REFUSED'],
      handle: async ({ request }) => {
        const who = actorOf(request);
        requireRole(who, 'reload');
        if (!d.reload) throw new ApiError('E_CONFIG_RELOAD_REFUSED', 'this server cannot reload its configuration (it was not started by sluice serve)');
        const r = await d.reload();
        if (r.kind === 'refused') {
          const first = r.problems[0];
          throw new ApiError('E_CONFIG_RELOAD_REFUSED', `${r.file} is not valid, the configuration in use stays${first ? `: ${first.line}` : ''}`,
            r.problems.map((p) => ({ path: p.where, message: p.message })));
        }
        await recordAction(d, who, 'reload', {});
        d.notify?.();
        return r.kind === 'unchanged'
          ? { outcome: 'unchanged' as const, file: r.file, hash: r.hash, previousHash: null, changed: [], needsRestart: [] }
          : { outcome: 'reloaded' as const, file: r.file, hash: r.hash, previousHash: r.previousHash, changed: [...r.changed], needsRestart: [...r.needsRestart] };
      },
    }),
  ];
}
