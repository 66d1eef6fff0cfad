import { createHmac, randomBytes } from 'node:crypto';
import type { Job, Run, Store } from '../store/index.js';

/**
 * What the dashboard and the API show of the server itself: which node (provider and node
 * name), never a file system path of the server, and an opaque name for each worker rather
 * than its host and process id. Reads may be public (`web.public_reads`); the store keeps
 * the full values, which `sluice explain` shows on the server.
 */

// An absolute path inside a node name: at the start, or after `:`, `=`, `(`, `@` or a space.
const ABSOLUTE_PATH = /(^|[\s:=(@])(\/[^\s,()]*)/g;

/** The last segment of an absolute path, or the text as it was. */
export function publicPath(text: string): string {
  if (!text.startsWith('/')) return text;
  const parts = text.split('/').filter((p) => p !== '');
  return parts.at(-1) ?? '/';
}

/** `local:<work_dir>/r1/j1-a1` (an absolute path) -> `local:j1-a1`; names without a path are kept. */
export function publicNode(node: string): string;
export function publicNode(node: string | null): string | null;
export function publicNode(node: string | null): string | null {
  return node === null ? null : node.replace(ABSOLUTE_PATH, (_m, before: string, path: string) => `${before}${publicPath(path)}`);
}

// Keyed per process: a plain hash of `host:pid` could be reversed by trying every pid.
const WORKER_KEY = randomBytes(32);

/** `host:1234#2` -> `worker-1a2b3c4d#2`: one worker keeps one name while this server runs, which says nothing of its host. */
export function publicWorker(id: string): string {
  const hash = id.indexOf('#');
  const worker = hash === -1 ? id : id.slice(0, hash);
  return `worker-${createHmac('sha256', WORKER_KEY).update(worker).digest('hex').slice(0, 8)}${hash === -1 ? '' : id.slice(hash)}`;
}

const WORKER_KEYS = new Set(['worker', 'holder', 'lockedBy', 'locked_by']);
// `tree`, `path`, `configFile`, `logPath`, `workDir`...: an absolute value keeps its last segment.
const PATH_KEY = /(file|path|dir|root|tree)$/i;

/**
 * A copy of a run's inputs or outcome, or of an event's payload, with nodes, workers and
 * path-valued fields made public. Everything else (ids, notes, reasons) is kept as is.
 */
export function publicData<T>(value: T, key?: string): T {
  // Only strings change, each into a string: the copy has the value's shape.
  return publicCopy(value, key) as T;
}

function publicCopy(value: unknown, key?: string): unknown {
  if (typeof value === 'string') {
    if (key === 'node') return publicNode(value);
    if (key !== undefined && WORKER_KEYS.has(key)) return publicWorker(value);
    if (key !== undefined && PATH_KEY.test(key)) return publicPath(value);
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => publicCopy(v, key));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, publicCopy(v, k)]));
  }
  return value;
}

export function publicJob(j: Job): Job {
  return { ...j, node: publicNode(j.node) };
}

export function publicRun<R extends Run>(r: R): R {
  return { ...r, outcome: publicData(r.outcome) };
}

/**
 * The store as pages read it: runs and jobs come back public. Only reads are wrapped; the
 * log of a job is still found by its stored path, which a page never prints.
 */
export function publicStore(store: Store): Store {
  const wrapped: Partial<Store> = {
    getRun: async (id) => { const r = await store.getRun(id); return r && publicRun(r); },
    listRuns: async (f) => (await store.listRuns(f)).map(publicRun),
    getJob: async (id) => { const j = await store.getJob(id); return j && publicJob(j); },
    listJobs: async (runId) => (await store.listJobs(runId)).map(publicJob),
    listJobsOfRuns: async (ids) => new Map([...(await store.listJobsOfRuns(ids))].map(([id, jobs]) => [id, jobs.map(publicJob)])),
  };
  return new Proxy(store, {
    get(target, prop) {
      if (typeof prop === 'string' && prop in wrapped) return wrapped[prop as keyof Store];
      const value: unknown = Reflect.get(target, prop);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
