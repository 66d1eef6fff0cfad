import { z } from 'zod';
import type { UpdateFileData } from '../../core/update-schema.js';
import { ApiError } from '../api-error.js';
import type { WebDeps } from '../deps.js';
import { folderOf, readFolders, readLadder } from '../ladder.js';
import { filterJobs, pageRuns, runsTouching, searchJobs, targetViews } from '../queries.js';
import {
  ImageSchema, JobPageSchema, JobParams, JobSchema, JobsQuery, LadderSchema, NodeSchema, RunPageSchema, RunParams, RunSchema, RunsQuery,
  TargetViewSchema, UpdatePageSchema, UpdateParams, UpdateSchema, UpdatesQuery,
} from '../schemas.js';
import { publicData, publicPath, publicWorker } from '../public-view.js';
import { jobView, runSummary, updateUrl } from '../views.js';
import { apiRoute, type AnyApiRoute } from './route.js';

/** The read side of the API: every list pages and filters; none changes anything. */
export function readRoutes(d: WebDeps): AnyApiRoute[] {
  const repoPath = () => d.site.resolvePath(d.site.config.update_repo);
  return [
    apiRoute({
      method: 'GET', path: '/api/runs', tag: 'runs', access: 'read', summary: 'Runs, newest first, filtered and paged',
      query: RunsQuery, response: RunPageSchema,
      handle: async ({ query }) => {
        const page = await pageRuns(d.store, query);
        return { items: page.items.map(runSummary), next: page.next };
      },
    }),
    apiRoute({
      method: 'GET', path: '/api/runs/{id}', tag: 'runs', access: 'read', summary: 'One run with its inputs, outcome and jobs',
      params: RunParams, response: RunSchema, errors: ['E_NOT_FOUND'],
      handle: async ({ params }) => {
        const run = await d.store.getRun(params.id);
        if (!run) throw new ApiError('E_NOT_FOUND', `no run "${params.id}"`);
        const jobs = await d.store.listJobs(run.id);
        return { ...runSummary(run), inputs: publicData(run.inputs), outcome: publicData(run.outcome), jobs: jobs.map(jobView) };
      },
    }),
    apiRoute({
      method: 'GET', path: '/api/runs/{id}/jobs', tag: 'jobs', access: 'read', summary: 'The jobs of one run, filtered and paged',
      params: RunParams, query: JobsQuery, response: JobPageSchema, errors: ['E_NOT_FOUND'],
      handle: async ({ params, query }) => {
        if (!(await d.store.getRun(params.id))) throw new ApiError('E_NOT_FOUND', `no run "${params.id}"`);
        const jobs = filterJobs(await d.store.listJobs(params.id), query);
        return { items: jobs.slice(query.offset, query.offset + query.limit).map(jobView), total: jobs.length };
      },
    }),
    apiRoute({
      method: 'GET', path: '/api/jobs', tag: 'jobs', access: 'read', summary: 'Jobs across runs: state=queued is the queue',
      description: 'Queued and running jobs come from every unfinished run; other filters look at the recent runs (docs/web.md, limits).',
      query: JobsQuery, response: JobPageSchema,
      handle: async ({ query }) => {
        const jobs = await searchJobs(d.store, query);
        return { items: jobs.slice(query.offset, query.offset + query.limit).map(jobView), total: jobs.length };
      },
    }),
    apiRoute({
      method: 'GET', path: '/api/jobs/{id}', tag: 'jobs', access: 'read', summary: 'One job',
      params: JobParams, response: JobSchema, errors: ['E_NOT_FOUND'],
      handle: async ({ params }) => {
        const job = await d.store.getJob(params.id);
        if (!job) throw new ApiError('E_NOT_FOUND', `no job "${params.id}"`);
        return jobView(job);
      },
    }),
    apiRoute({
      method: 'GET', path: '/api/updates', tag: 'updates', access: 'read', summary: 'Updates in the update repository and in recent runs, by id',
      query: UpdatesQuery, response: UpdatePageSchema,
      handle: async ({ query }) => {
        const folders = await readFolders(repoPath());
        const fromRuns = query.folder ? [] : (await d.store.listRuns({ limit: 500 })).flatMap((r) => (r.updateId ? [r.updateId] : []));
        const ids = [...new Set([...(query.folder ? folders[query.folder] : [...folders.updates, ...folders.ready, ...folders.pushed, ...folders.failed]), ...fromRuns])].sort();
        const page = ids.slice(query.offset, query.offset + query.limit);
        const items = await Promise.all(page.map(async (id) => {
          const u = await d.store.getUpdate(id);
          return { id, folder: folderOf(folders, id), topic: u?.topic ?? null, author: u?.author ?? null, updatedAt: u?.updatedAt ?? null, url: updateUrl(id) };
        }));
        return { items, total: ids.length };
      },
    }),
    apiRoute({
      method: 'GET', path: '/api/updates/{id}', tag: 'updates', access: 'read', summary: 'One update: its builds, every run that touched it, where it stands',
      params: UpdateParams, response: UpdateSchema, errors: ['E_NOT_FOUND'],
      handle: async ({ params }) => {
        const view = await updateView(d, params.id);
        if (!view) throw new ApiError('E_NOT_FOUND', `no update "${params.id}"`);
        return view;
      },
    }),
    apiRoute({
      method: 'GET', path: '/api/targets', tag: 'targets', access: 'read', summary: 'The targets: disabled ones with reason and expiry, the newest result on each, what runs there now',
      response: z.array(TargetViewSchema),
      handle: async () => targetViews(d.store, d.site.config, d.now()),
    }),
    apiRoute({
      method: 'GET', path: '/api/images', tag: 'targets', access: 'read', summary: 'The known-good image of each target',
      response: z.array(ImageSchema),
      handle: async () => Object.entries(d.site.config.targets).map(([target, t]) => ({ target, image: t.image ?? null, phase1: t.image ? 'image' as const : 'provision' as const })),
    }),
    apiRoute({
      method: 'GET', path: '/api/nodes', tag: 'nodes', access: 'read', summary: 'Each provider\'s capacity and the node leases held now',
      response: z.array(NodeSchema),
      handle: async () => {
        const now = d.now();
        const leases = (await d.store.listLeases()).filter((l) => l.expiresAt > now);
        return Object.entries(d.site.config.providers).map(([name, p]) => {
          const held = leases.filter((l) => l.resource === `provider:${name}`);
          return { provider: name, type: p.type, capacity: p.capacity, busy: held.length, leases: held.map((l) => ({ slot: l.slot, holder: publicWorker(l.holder), jobId: l.jobId, acquiredAt: l.acquiredAt, expiresAt: l.expiresAt })) };
        });
      },
    }),
    apiRoute({
      method: 'GET', path: '/api/ladder', tag: 'updates', access: 'read', summary: 'How many updates stand on each rung: updates/, ready/, stage, production',
      response: LadderSchema,
      handle: async () => readLadder(d.store, repoPath()),
    }),
  ];
}

export type UpdateView = z.output<typeof UpdateSchema>;

/** An update as the store and the update repository know it; undefined when neither does. */
export async function updateView(d: WebDeps, id: string): Promise<UpdateView | undefined> {
  const [record, folders, runs] = await Promise.all([d.store.getUpdate(id), readFolders(d.site.resolvePath(d.site.config.update_repo)), runsTouching(d.store, id)]);
  const folder = folderOf(folders, id);
  if (!record && folder === null && runs.length === 0) return undefined;
  const data = record?.data as UpdateFileData | undefined;
  return {
    id, folder, topic: record?.topic ?? null, author: record?.author ?? null, updatedAt: record?.updatedAt ?? null, url: updateUrl(id),
    path: record?.path === undefined ? null : publicPath(record.path), notes: data?.notes ?? null, firstSeenAt: record?.firstSeenAt ?? null,
    builds: (data?.builds ?? []).map((b) => ({ id: String(b.id), repo: b.repo, dist: b.dist, source: b.source })),
    runs: runs.map(runSummary),
  };
}
