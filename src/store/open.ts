import { postgresAdapter, sqliteAdapter } from './adapter.js';
import type { StoreContext } from './context.js';
import { appendEvent, latestEventSeq, listEvents } from './events.js';
import { getJob, latestPassingJob, heartbeatJob, listExpiredJobs, sweepExpiredJobs } from './job-transitions.js';
import { listLeases, reclaimExpiredLeases, releaseLease, renewLease } from './leases.js';
import { getLeader, renewLeadership, resignLeadership, takeLeadership } from './leadership.js';
import { claimJobsWithLeases, claimJobWithLeases } from './job-claim.js';
import { migrate } from './migrate.js';
import { MIGRATIONS } from './migrations/index.js';
import { cancelRun } from './run-cancel.js';
import { settleRun } from './run-settle.js';
import { flakyAmong, latestBaseline, listFlakyTests, listTestResults, recordTestResults } from './test-results.js';
import { declareDependencies, inferDependencies, listDependencies } from './dependencies.js';
import { addJobTestedWith } from './job-tested-with.js';
import { addMustProvision, listMustProvision, removeMustProvision } from './must-provision.js';
import { listImages, listKnownImageLocations, markImagesPruned, recordImage } from './images.js';
import { addJobs, claimRunAdvance, finishControlledRun, listIdleControlledRuns, markRunStarted } from './controlled-runs.js';
import { activeRunOf, claimRunReport, getRun, insertRunWithJobs, listJobs, listJobsOfRuns, listRuns, listStrandedRunIds, listUnfinishedRunIds, listUnreportedRuns, markRunReported } from './runs.js';
import { listRpms, recordRpms } from './rpms.js';
import { claimDueNotifications, enqueueNotifications, listNotifications, nextNotificationDue, recordNotificationAttempt } from './notifications.js';
import { listApprovals, parkControlledRun, recordApproval } from './approvals.js';
import { connectSqlite } from './sqlite-connection.js';
import type { Store } from './store.js';
import { disableTarget, enableTarget, getTargetState, listTargetStates } from './targets.js';
import { getUpdate, recordUpdate } from './updates.js';
import { parseStoreUrl } from './url.js';
import { finishBatcher } from './finish-batcher.js';
import { addWaiver, listWaivers, revokeWaiver } from './waivers.js';

export interface OpenStoreOptions {
  /** SQLite: how long a writer waits for another process's write lock (default 5000 ms). */
  busyTimeoutMs?: number;
  /** PostgreSQL: the most pooled connections (default 10). */
  poolSize?: number;
}

/** Opens the store at `url` (see url.ts) and brings its schema up to date. */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const location = parseStoreUrl(url);
  // pg is loaded only for a PostgreSQL store: a command on SQLite starts faster without it.
  const { db, release } =
    location.dialect === 'sqlite'
      ? connectSqlite(location.file, { busyTimeoutMs: options.busyTimeoutMs ?? 5000, synchronous: location.synchronous })
      : (await import('./postgres-connection.js')).connectPostgres(location.url, { poolSize: options.poolSize ?? 10 });
  const ctx: StoreContext = { db, adapter: location.dialect === 'sqlite' ? sqliteAdapter : postgresAdapter };
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= db.destroy().finally(release);
    return closed;
  };
  try {
    await migrate(db, ctx.adapter, MIGRATIONS);
  } catch (error) {
    await close();
    throw error;
  }
  return {
    dialect: ctx.adapter.name,
    listTargetStates: (now) => listTargetStates(ctx, now),
    getTargetState: (target, now) => getTargetState(ctx, target, now),
    disableTarget: (input) => disableTarget(ctx, input),
    enableTarget: (input) => enableTarget(ctx, input),
    recordUpdate: (input) => recordUpdate(ctx, input),
    getUpdate: (id) => getUpdate(ctx, id),
    insertRunWithJobs: (input) => insertRunWithJobs(ctx, input),
    getRun: (id) => getRun(ctx, id),
    listJobs: (runId) => listJobs(ctx, runId),
    listJobsOfRuns: (runIds) => listJobsOfRuns(ctx, runIds),
    listRuns: (query) => listRuns(ctx, query),
    listUnreportedRuns: (limit) => listUnreportedRuns(ctx, limit),
    markRunReported: (input) => markRunReported(ctx, input),
    claimRunReport: (input) => claimRunReport(ctx, input),
    listStrandedRunIds: () => listStrandedRunIds(ctx),
    listUnfinishedRunIds: () => listUnfinishedRunIds(ctx),
    activeRunOf: (pipeline) => activeRunOf(ctx, pipeline),
    listIdleControlledRuns: () => listIdleControlledRuns(ctx),
    claimRunAdvance: (input) => claimRunAdvance(ctx, input),
    addJobs: (input) => addJobs(ctx, input),
    finishControlledRun: (input) => finishControlledRun(ctx, input),
    markRunStarted: (input) => markRunStarted(ctx, input),
    recordTestResults: (input) => recordTestResults(ctx, input),
    listMustProvision: () => listMustProvision(ctx),
    declareDependencies: (input) => declareDependencies(ctx, input),
    inferDependencies: (input) => inferDependencies(ctx, input),
    listDependencies: (ids) => listDependencies(ctx, ids),
    addJobTestedWith: (input) => addJobTestedWith(ctx, input),
    recordImage: (image) => recordImage(ctx, image),
    listImages: (query) => listImages(ctx, query),
    markImagesPruned: (input) => markImagesPruned(ctx, input),
    listKnownImageLocations: (provider) => listKnownImageLocations(ctx, provider),
    addMustProvision: (input) => addMustProvision(ctx, input),
    removeMustProvision: (input) => removeMustProvision(ctx, input),
    listTestResults: (jobId) => listTestResults(ctx, jobId),
    listFlakyTests: (query) => listFlakyTests(ctx, query),
    flakyAmong: (target, testIds) => flakyAmong(ctx, target, testIds),
    latestBaseline: (target, content) => latestBaseline(ctx, target, content),
    getJob: (id) => getJob(ctx, id),
    latestPassingJob: (query) => latestPassingJob(ctx, query),
    claimJobWithLeases: (input) => claimJobWithLeases(ctx, input),
    claimJobsWithLeases: (input) => claimJobsWithLeases(ctx, input),
    heartbeatJob: (input) => heartbeatJob(ctx, input),
    finishJob: finishBatcher(ctx),
    sweepExpiredJobs: (now, opts) => sweepExpiredJobs(ctx, now, opts),
    listExpiredJobs: (now) => listExpiredJobs(ctx, now),
    cancelRun: (input) => cancelRun(ctx, input),
    settleRun: (input) => settleRun(ctx, input),
    renewLease: (input) => renewLease(ctx, input),
    releaseLease: (input) => releaseLease(ctx, input),
    reclaimExpiredLeases: (now) => reclaimExpiredLeases(ctx, now),
    listLeases: (resource) => listLeases(ctx, resource),
    takeLeadership: (input) => takeLeadership(ctx, input),
    renewLeadership: (input) => renewLeadership(ctx, input),
    resignLeadership: (input) => resignLeadership(ctx, input),
    getLeader: (role) => getLeader(ctx, role),
    recordRpms: (input) => recordRpms(ctx, input),
    listRpms: (buildId) => listRpms(ctx, buildId),
    enqueueNotifications: (input) => enqueueNotifications(ctx, input),
    claimDueNotifications: (input) => claimDueNotifications(ctx, input),
    recordNotificationAttempt: (input) => recordNotificationAttempt(ctx, input),
    listNotifications: (query) => listNotifications(ctx, query),
    nextNotificationDue: () => nextNotificationDue(ctx),
    recordApproval: (input) => recordApproval(ctx, input),
    listApprovals: (runId) => listApprovals(ctx, runId),
    parkControlledRun: (input) => parkControlledRun(ctx, input),
    addWaiver: (input) => addWaiver(ctx, input),
    revokeWaiver: (input) => revokeWaiver(ctx, input),
    listWaivers: (query) => listWaivers(ctx, query),
    appendEvent: (event) => appendEvent(ctx, event),
    listEvents: (query) => listEvents(ctx, query),
    latestEventSeq: () => latestEventSeq(ctx),
    subscribe: async (onWake) => (location.dialect === 'postgres' ? (await import('./wake-channel.js')).listenPostgres(location.url, onWake) : async () => {}),
    close,
  };
}
