import { ApiError } from '../api-error.js';
import { endedBadly } from '../cell-state.js';
import type { WebDeps } from '../deps.js';
import { logErrors } from '../excerpt-adapter.js';
import { indexLog, readLines } from '../log-file.js';
import { locateLogOrPruned } from '../log-locator.js';
import { JobParams, LogLinesQuery, LogLinesSchema } from '../schemas.js';
import { apiRoute, type AnyApiRoute } from './route.js';

export function logRoutes(d: WebDeps): AnyApiRoute[] {
  return [
    apiRoute({
      method: 'GET', path: '/api/jobs/{id}/log', tag: 'jobs', access: 'read',
      summary: 'Lines of a job\'s log by number, read by byte ranges (never the whole file), with where its error lines are',
      params: JobParams, query: LogLinesQuery, response: LogLinesSchema, errors: ['E_NOT_FOUND', 'E_NO_LOG'],
      handle: async ({ params, query, request }) => {
        const job = await d.store.getJob(params.id);
        if (!job) throw new ApiError('E_NOT_FOUND', `no job "${params.id}"`);
        const { path, pruned } = await locateLogOrPruned(job, d, request.headers);
        if (!path) throw new ApiError('E_NO_LOG', `job ${job.id} has no log${pruned ? `: ${pruned}` : job.state === 'queued' ? ' yet: it is queued' : job.result === 'skipped' ? ': it was skipped' : ''}`);
        const index = await indexLog(path);
        const errors = endedBadly(job) ? await logErrors(path, job.excerpt) : undefined;
        const lines = await readLines(path, index, query.from, query.count);
        return {
          jobId: job.id, from: query.from, lines, totalLines: index.totalLines, bytes: index.size,
          errors: errors ? { first: errors.first, lines: [...errors.hits] } : null, growing: job.state === 'running',
        };
      },
    }),
  ];
}
