import { parseDuration } from '../../core/duration.js';
import { errorSpec, type ErrorCode } from '../../core/errors.js';
import { newRunId } from '../../engine/hash.js';
import { submitPhase1 } from '../../pipelines/phase1/submit.js';
import { ApiError } from '../api-error.js';
import type { WebDeps } from '../deps.js';
import { startPipeline } from '../pipelines.js';
import { recheckRun } from '../recheck.js';
import {
  CancelBody, CancelResultSchema, DisableBody, EnableBody, PipelineParams, RecheckResultSchema, RunParams, SubmitBody, SubmitResultSchema,
  TargetParams, TargetStateResultSchema, TriggerResultSchema,
} from '../schemas.js';
import { runUrl } from '../views.js';
import { apiRoute, type AnyApiRoute } from './route.js';

const API_AUTHOR = { name: 'Sluice API', email: 'api@localhost' };
const API_USER = 'api';

/** The actions: each needs a token, each is one engine or store operation. */
export function actionRoutes(d: WebDeps): AnyApiRoute[] {
  const requireTarget = (release: string, dist: string): string => {
    const target = `${release}/${dist}`;
    if (!(target in d.site.config.targets)) {
      throw new ApiError('E_TARGET_NOT_CONFIGURED', `unknown target "${target}" (configured: ${Object.keys(d.site.config.targets).join(', ')})`);
    }
    return target;
  };
  return [
    apiRoute({
      method: 'POST', path: '/api/runs', tag: 'actions', access: 'action', status: 201,
      summary: 'Submit an update file: starts phase1 on every target it touches',
      body: SubmitBody, response: SubmitResultSchema,
      errors: ['E_UPDATE_INVALID', 'E_YAML_SYNTAX', 'E_YAML_TOO_DEEP', 'E_YAML_TOO_LARGE', 'E_TARGET_UNKNOWN', 'E_NO_TEST_COMMAND', 'E_FILE_TOO_LARGE', 'E_MEDIA_TYPE'],
      handle: async ({ body }) => {
        const now = d.now();
        const file = body.file.startsWith('updates/') ? body.file : `updates/${body.file}`;
        const r = await submitPhase1({
          store: d.store, config: d.site.config, configHash: d.site.hash, file, bytes: new TextEncoder().encode(body.content),
          author: body.author ?? API_AUTHOR, now, runId: newRunId(now),
        });
        if (!r.ok) {
          const first = r.problems[0];
          const code = (first && errorSpec(first.code) ? first.code : 'E_UPDATE_INVALID') as ErrorCode;
          throw new ApiError(code, first ? `${first.file}:${first.line}:${first.col}: ${first.path ? `${first.path}: ` : ''}${first.message}` : 'the update cannot be tested',
            r.problems.map((p) => ({ path: `${p.file}:${p.line}:${p.col}${p.path ? ` ${p.path}` : ''}`, message: `${p.code}: ${p.message}` })));
        }
        d.notify?.();
        return { runId: r.runId, jobs: r.jobs, skipped: r.skipped, url: runUrl(r.runId) };
      },
    }),
    apiRoute({
      method: 'POST', path: '/api/runs/{id}/cancel', tag: 'actions', access: 'action',
      summary: 'Cancel a run: queued jobs at once, running ones at their next heartbeat',
      params: RunParams, body: CancelBody, response: CancelResultSchema, errors: ['E_NOT_FOUND', 'E_RUN_FINISHED'],
      handle: async ({ params, body }) => {
        const r = await d.store.cancelRun({ runId: params.id, now: d.now(), reason: body.reason ?? 'cancelled through the API' });
        if (!r.ok && r.code === 'not_found') throw new ApiError('E_NOT_FOUND', `no run "${params.id}"`);
        if (!r.ok) throw new ApiError('E_RUN_FINISHED', `run ${params.id} had finished already: nothing to cancel`);
        d.notify?.();
        return { runId: params.id, cancelledJobs: r.cancelledJobs, signalledJobs: r.signalledJobs, verdict: r.runVerdict };
      },
    }),
    apiRoute({
      method: 'POST', path: '/api/runs/{id}/recheck', tag: 'actions', access: 'action', status: 201,
      summary: 'Recheck a run: phase1 runs its recorded plan again; phase2 and promote start anew (or join the one going)',
      params: RunParams, response: RecheckResultSchema, errors: ['E_NOT_FOUND', 'E_NOTHING_TO_DO'],
      handle: async ({ params }) => {
        const old = await d.store.getRun(params.id);
        if (!old) throw new ApiError('E_NOT_FOUND', `no run "${params.id}"`);
        const r = await recheckRun(d, old);
        d.notify?.();
        return { runId: r.runId, recheckOf: old.id, kind: r.kind, url: runUrl(r.runId) };
      },
    }),
    apiRoute({
      method: 'POST', path: '/api/targets/{release}/{dist}/disable', tag: 'actions', access: 'action',
      summary: 'Disable a red target with its reason, until a time or for good',
      params: TargetParams, body: DisableBody, response: TargetStateResultSchema, errors: ['E_TARGET_NOT_CONFIGURED'],
      handle: async ({ params, body }) => {
        const target = requireTarget(params.release, params.dist);
        const now = d.now();
        const until = body.until === undefined ? null : parseUntil(body.until, now);
        const r = await d.store.disableTarget({ target, reason: body.reason, by: body.by ?? API_USER, now, until });
        if (!r.ok) throw new ApiError('E_REQUEST_INVALID', 'body.until: must be later than now', [{ path: 'body.until', message: 'must be later than now' }]);
        return { target, disabled: true, reason: body.reason, until };
      },
    }),
    apiRoute({
      method: 'POST', path: '/api/targets/{release}/{dist}/enable', tag: 'actions', access: 'action',
      summary: 'Enable a disabled target again',
      params: TargetParams, body: EnableBody, response: TargetStateResultSchema, errors: ['E_TARGET_NOT_CONFIGURED', 'E_TARGET_NOT_DISABLED'],
      handle: async ({ params, body }) => {
        const target = requireTarget(params.release, params.dist);
        const r = await d.store.enableTarget({ target, by: body.by ?? API_USER, now: d.now() });
        if (!r.ok) throw new ApiError('E_TARGET_NOT_DISABLED', `${target} is not disabled`);
        return { target, disabled: false, reason: null, until: null };
      },
    }),
    apiRoute({
      method: 'POST', path: '/api/pipelines/{pipeline}/start', tag: 'actions', access: 'action', status: 201,
      summary: 'Start phase2 or promote now (joining the run already going)',
      params: PipelineParams, response: TriggerResultSchema, errors: ['E_NOTHING_TO_DO'],
      handle: async ({ params }) => {
        const r = await startPipeline(d, params.pipeline);
        d.notify?.();
        return { runId: r.runId, kind: r.kind, url: runUrl(r.runId) };
      },
    }),
  ];
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
