import { errorSpec, type ErrorCode } from '../../core/errors.js';
import { newRunId } from '../../engine/hash.js';
import { submitPhase1 } from '../../pipelines/phase1/submit.js';
import { ApiError } from '../api-error.js';
import type { WebDeps } from '../deps.js';
import { approveAs, cancelAs, disableAs, enableAs, mustProvisionAs, recheckAs, recordAction, startAs } from '../operations.js';
import { requireRole } from '../roles.js';
import { RollbackBody, RollbackResultSchema, rollbackAs } from '../rollback.js';
import {
  ApproveBody, ApproveResultSchema, CancelBody, CancelResultSchema, DisableBody, EnableBody, MustProvisionBody, MustProvisionParams, MustProvisionResultSchema, PipelineParams, RecheckResultSchema, RunParams, SubmitBody, SubmitResultSchema,
  TargetParams, TargetStateResultSchema, TriggerResultSchema,
} from '../schemas.js';
import { runUrl } from '../views.js';
import { actorOf, apiRoute, type AnyApiRoute } from './route.js';

/**
 * The actions: each needs a token (or a trusted proxy's user) whose person has the role the
 * action needs, each is one engine or store operation done in that person's name.
 */
export function actionRoutes(d: WebDeps): AnyApiRoute[] {
  return [
    apiRoute({
      method: 'POST', path: '/api/runs', tag: 'actions', access: 'action', status: 201,
      summary: 'Submit an update file: starts phase1 on every target it touches (role: packager)',
      body: SubmitBody, response: SubmitResultSchema,
      errors: ['E_UPDATE_INVALID', 'E_YAML_SYNTAX', 'E_YAML_TOO_DEEP', 'E_YAML_TOO_LARGE', 'E_TARGET_UNKNOWN', 'E_NO_TEST_COMMAND', 'E_FILE_TOO_LARGE', 'E_MEDIA_TYPE', 'E_DEPENDENCY_UNKNOWN', 'E_DEPENDENCY_FAILED', 'E_DEPENDENCY_CYCLE'],
      handle: async ({ body, request }) => {
        const who = actorOf(request);
        requireRole(who, 'submit');
        const now = d.now();
        const file = body.file.startsWith('updates/') ? body.file : `updates/${body.file}`;
        // The update's author (its merge commit's) may be someone else; the actor, recorded below, is the token's person.
        const author = body.author ?? { name: who.person, email: `${who.person}@sluice.invalid` };
        const r = await submitPhase1({
          store: d.store, config: d.site.config, configHash: d.site.hash, file, bytes: new TextEncoder().encode(body.content),
          author, now, runId: newRunId(now),
          with: (body.with ?? []).map((ref) => ({ ref, why: 'with in the API request' })), repoPath: d.site.resolvePath(d.site.config.update_repo),
        });
        if (!r.ok) {
          const first = r.problems[0];
          const code = (first && errorSpec(first.code) ? first.code : 'E_UPDATE_INVALID') as ErrorCode;
          throw new ApiError(code, first ? `${first.file}:${first.line}:${first.col}: ${first.path ? `${first.path}: ` : ''}${first.message}` : 'the update cannot be tested',
            r.problems.map((p) => ({ path: `${p.file}:${p.line}:${p.col}${p.path ? ` ${p.path}` : ''}`, message: `${p.code}: ${p.message}` })));
        }
        await recordAction(d, who, 'submit', { runId: r.runId });
        d.notify?.();
        return { runId: r.runId, jobs: r.jobs, skipped: r.skipped, url: runUrl(r.runId) };
      },
    }),
    apiRoute({
      method: 'POST', path: '/api/runs/{id}/cancel', tag: 'actions', access: 'action',
      summary: 'Cancel a run: queued jobs at once, running ones at their next heartbeat (role: packager)',
      params: RunParams, body: CancelBody, response: CancelResultSchema, errors: ['E_NOT_FOUND', 'E_RUN_FINISHED'],
      handle: async ({ params, body, request }) => {
        const r = await cancelAs(d, actorOf(request), params.id, body.reason);
        return { runId: params.id, cancelledJobs: r.cancelledJobs, signalledJobs: r.signalledJobs, verdict: r.runVerdict };
      },
    }),
    apiRoute({
      method: 'POST', path: '/api/runs/{id}/approve', tag: 'actions', access: 'action',
      summary: 'Approve the set of updates a promote run waiting for its approval publishes (promote.approval: required; role: release)',
      params: RunParams, body: ApproveBody, response: ApproveResultSchema, errors: ['E_NOT_FOUND', 'E_APPROVAL_SET_MISMATCH', 'E_APPROVAL_REFUSED'],
      handle: async ({ params, body, request }) => {
        const r = await approveAs(d, actorOf(request), params.id, body.set);
        return { runId: params.id, setHash: r.set.hash, updates: [...r.set.updates], by: r.approval.by, at: r.approval.at, already: r.already };
      },
    }),
    apiRoute({
      method: 'POST', path: '/api/runs/{id}/recheck', tag: 'actions', access: 'action', status: 201,
      summary: 'Recheck a run: phase1 runs its recorded plan again (role: packager); phase2 and promote start anew or join the one going (role: release)',
      params: RunParams, response: RecheckResultSchema, errors: ['E_NOT_FOUND', 'E_NOTHING_TO_DO'],
      handle: async ({ params, request }) => {
        const r = await recheckAs(d, actorOf(request), params.id);
        return { runId: r.runId, recheckOf: r.recheckOf, kind: r.kind, url: runUrl(r.runId) };
      },
    }),
    apiRoute({
      method: 'POST', path: '/api/targets/{release}/{dist}/disable', tag: 'actions', access: 'action',
      summary: 'Disable a red target with its reason, until a time or for good (role: release)',
      params: TargetParams, body: DisableBody, response: TargetStateResultSchema, errors: ['E_TARGET_NOT_CONFIGURED'],
      handle: async ({ params, body, request }) => {
        const r = await disableAs(d, actorOf(request), params.release, params.dist, body.reason, body.until);
        return { target: r.target, disabled: true, reason: body.reason, until: r.until };
      },
    }),
    apiRoute({
      method: 'POST', path: '/api/targets/{release}/{dist}/enable', tag: 'actions', access: 'action',
      summary: 'Enable a disabled target again (role: release)',
      params: TargetParams, body: EnableBody, response: TargetStateResultSchema, errors: ['E_TARGET_NOT_CONFIGURED', 'E_TARGET_NOT_DISABLED'],
      handle: async ({ params, request }) => {
        const r = await enableAs(d, actorOf(request), params.release, params.dist);
        return { target: r.target, disabled: false, reason: null, until: null };
      },
    }),
    apiRoute({
      method: 'POST', path: '/api/pipelines/{pipeline}/start', tag: 'actions', access: 'action', status: 201,
      summary: 'Start phase2 or promote now, joining the run already going (role: release)',
      params: PipelineParams, response: TriggerResultSchema, errors: ['E_NOTHING_TO_DO'],
      handle: async ({ params, request }) => {
        const r = await startAs(d, actorOf(request), params.pipeline);
        return { runId: r.runId, kind: r.kind, url: runUrl(r.runId) };
      },
    }),
    apiRoute({
      method: 'POST', path: '/api/must-provision/{package}', tag: 'actions',
      access: 'action', summary: 'Add a package to the must-provision list, as `sluice must-provision add` does (role: release)',
      params: MustProvisionParams, body: MustProvisionBody, response: MustProvisionResultSchema,
      handle: async ({ params, body, request }) => {
        const r = await mustProvisionAs(d, actorOf(request), 'add', params.package, body.reason);
        return { package: params.package, listed: true, changed: r.changed, by: r.by, reason: r.reason };
      },
    }),
    apiRoute({
      method: 'POST', path: '/api/must-provision/{package}/remove', tag: 'actions',
      access: 'action', summary: 'Remove a package an operator added to the must-provision list (role: release)',
      params: MustProvisionParams, body: MustProvisionBody, response: MustProvisionResultSchema, errors: ['E_NOT_FOUND', 'E_MUST_PROVISION_IN_CONFIG'],
      handle: async ({ params, body, request }) => {
        const r = await mustProvisionAs(d, actorOf(request), 'remove', params.package, body.reason);
        return { package: params.package, listed: false, changed: r.changed, by: r.by, reason: r.reason };
      },
    }),
    // --- rollback (docs/promote.md, "Rollback") ---
    apiRoute({
      method: 'POST', path: '/api/production/rollback', tag: 'actions', access: 'action',
      summary: 'Switch production and every mirror back to kept trees, all or none, recording who and why (role: release)',
      body: RollbackBody, response: RollbackResultSchema, errors: ['E_TARGET_NOT_CONFIGURED', 'E_NO_KEPT_TREE', 'E_ROLLBACK_FAILED'],
      handle: async ({ body, request }) => rollbackAs(d, actorOf(request), body),
    }),
  ];
}
