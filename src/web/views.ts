import type { z } from 'zod';
import type { Job, Run } from '../store/index.js';
import { cellState } from './cell-state.js';
import { publicNode } from './public-view.js';
import type { JobSchema, RunSummarySchema } from './schemas.js';

export const runUrl = (id: string) => `/runs/${encodeURIComponent(id)}`;
export const jobUrl = (id: string) => `/jobs/${encodeURIComponent(id)}`;
export const updateUrl = (id: string) => `/updates/${encodeURIComponent(id)}`;
/** A file the job's node sent back (`collect`), served as text. */
export const collectedUrl = (jobId: string, name: string) => `/jobs/${encodeURIComponent(jobId)}/collected/${encodeURIComponent(name)}`;
export const logUrl = (jobId: string, line?: number) => `/jobs/${encodeURIComponent(jobId)}/log${line === undefined ? '' : `?line=${line}#L${line}`}`;

/** A run as the API lists it: no inputs, no outcome (GET /api/runs/{id} has them). */
export function runSummary(r: Run): z.output<typeof RunSummarySchema> {
  return {
    id: r.id, pipeline: r.pipeline, updateId: r.updateId, state: r.state, verdict: r.verdict, reason: r.reason,
    createdAt: r.createdAt, startedAt: r.startedAt, finishedAt: r.finishedAt, reportedAt: r.reportedAt, cancelRequestedAt: r.cancelRequestedAt,
    url: runUrl(r.id),
  };
}

/** A job as the API shows it: its log by the viewer's URL and its node by name, never by a path of the server. */
export function jobView(j: Job): z.output<typeof JobSchema> {
  return {
    id: j.id, runId: j.runId, target: j.target, kind: j.kind, state: j.state, result: j.result, status: cellState(j),
    reason: j.reason, skipReason: j.skipReason, attempt: j.attempt, maxAttempts: j.maxAttempts, interruptions: j.interruptions, node: publicNode(j.node),
    createdAt: j.createdAt, startedAt: j.startedAt, finishedAt: j.finishedAt, logUrl: j.logPath ? logUrl(j.id) : null,
  };
}
