import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Config } from '../core/config.js';
import { SERVICE_ROLE } from '../engine/leadership.js';
import { diskUsage, retentionSiteOf, type DiskUsage } from '../drivers/retention/index.js';
import type { WebSite } from './deps.js';
import type { Store, StoredEvent } from '../store/index.js';
import type { EventHub } from './event-hub.js';
import { unfinishedRuns } from './queries.js';

const DISK_WALK_EVERY_MS = 60_000;
const DURATION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 28800];

/** `phase1/image@local` -> `phase1`. */
function pipelineOfKind(kind: string): string {
  return kind.split(/[/@]/)[0] ?? kind;
}

/**
 * /metrics in Prometheus' text format. Gauges (queue, running jobs, nodes, leases) are
 * read from the store at each scrape; counters and duration histograms are fed by the
 * event log from the moment the server started, as Prometheus expects of a process.
 */
export class WebMetrics {
  readonly registry = new Registry();
  private readonly queue: Gauge;
  private readonly running: Gauge;
  private readonly unfinished: Gauge;
  private readonly capacity: Gauge;
  private readonly busy: Gauge;
  private readonly utilisation: Gauge;
  private readonly leases: Gauge;
  private readonly disabled: Gauge;
  private readonly leader: Gauge;
  private readonly leaderTerm: Gauge;
  private readonly jobsFinished: Counter;
  private readonly runsFinished: Counter;
  private readonly jobDuration: Histogram;
  private readonly runDuration: Histogram;
  private readonly eventsSeen: Counter;
  private readonly refused: Counter;
  private openStreams: () => number = () => 0;
  private readonly diskUsed: Gauge;
  private readonly diskFree: Gauge;
  /** The last walk of the disk and when it was taken: a walk of a large work_dir is not made at every scrape. */
  private disk?: { at: number; usage: DiskUsage };
  private walking?: Promise<void>;

  /** `site.config` is read at each scrape: a reload of `sluice serve` changes the capacities shown. */
  constructor(private readonly o: { store: Store; site: { readonly config: Config } & Partial<Pick<WebSite, 'resolvePath'>>; now: () => number }) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'sluice_web_' });
    this.queue = new Gauge({ name: 'sluice_queue_jobs', help: 'Jobs waiting for a node, by pipeline.', labelNames: ['pipeline'], registers });
    this.running = new Gauge({ name: 'sluice_jobs_running', help: 'Jobs running now, by pipeline.', labelNames: ['pipeline'], registers });
    this.unfinished = new Gauge({ name: 'sluice_runs_unfinished', help: 'Runs without a verdict yet, by pipeline.', labelNames: ['pipeline'], registers });
    this.capacity = new Gauge({ name: 'sluice_node_capacity', help: 'Nodes a provider may lend at once.', labelNames: ['provider'], registers });
    this.busy = new Gauge({ name: 'sluice_nodes_busy', help: 'Node leases held now, by provider.', labelNames: ['provider'], registers });
    this.utilisation = new Gauge({ name: 'sluice_node_utilisation', help: 'Busy nodes over capacity (0 to 1), by provider.', labelNames: ['provider'], registers });
    this.leases = new Gauge({ name: 'sluice_leases', help: 'Leases held now, by kind of resource (provider, semaphore...).', labelNames: ['kind'], registers });
    this.disabled = new Gauge({ name: 'sluice_targets_disabled', help: 'Targets disabled now.', registers });
    this.leader = new Gauge({ name: 'sluice_leader', help: 'The `sluice serve` whose lease for the role is current (1): it alone runs the schedules and triggers; no sample while nobody leads.', labelNames: ['role', 'holder'], registers });
    this.leaderTerm = new Gauge({ name: 'sluice_leader_term', help: 'The role\'s current term: it grows by one at every election, so a rise is a failover.', labelNames: ['role'], registers });
    this.jobsFinished = new Counter({ name: 'sluice_jobs_finished_total', help: 'Jobs finished since this server started, by pipeline and result (success, failure, infra, timeout, cancelled, skipped).', labelNames: ['pipeline', 'result'], registers });
    this.runsFinished = new Counter({ name: 'sluice_runs_finished_total', help: 'Runs given a verdict since this server started, by pipeline and verdict.', labelNames: ['pipeline', 'verdict'], registers });
    this.jobDuration = new Histogram({ name: 'sluice_job_duration_seconds', help: 'From a job\'s start to its end, by pipeline and result.', labelNames: ['pipeline', 'result'], buckets: DURATION_BUCKETS, registers });
    this.runDuration = new Histogram({ name: 'sluice_run_duration_seconds', help: 'From a run\'s creation to its verdict, by pipeline and verdict.', labelNames: ['pipeline', 'verdict'], buckets: DURATION_BUCKETS, registers });
    this.eventsSeen = new Counter({ name: 'sluice_web_events_total', help: 'Store events the web server has read.', registers });
    this.refused = new Counter({ name: 'sluice_web_refused_total', help: 'Requests refused by web.limits, by reason: rate (429), streams_per_client (429), streams (503).', labelNames: ['reason'], registers });
    this.diskUsed = new Gauge({ name: 'sluice_disk_used_bytes', help: 'Bytes on disk by kind of what retention prunes: logs, builds, repositories, trees, images (docs/retention.md); walked at most once a minute.', labelNames: ['kind'], registers });
    this.diskFree = new Gauge({ name: 'sluice_disk_free_bytes', help: 'Bytes still free on the file system of work_dir.', registers });
    const streams = () => this.openStreams();
    new Gauge({ name: 'sluice_web_streams', help: 'Live streams (Server-Sent Events) open now.', registers, collect() { this.set(streams()); } });
  }

  /** A request refused by web.limits. */
  countRefusal(reason: string): void {
    this.refused.inc({ reason });
  }

  /** Where the open-streams gauge reads its value at each scrape. */
  watchStreams(open: () => number): void {
    this.openStreams = open;
  }

  follow(hub: EventHub): () => void {
    return hub.subscribe((e) => { void this.observe(e); });
  }

  private async observe(e: StoredEvent): Promise<void> {
    this.eventsSeen.inc();
    if (e.kind === 'job.finished' && e.jobId) {
      const job = await this.o.store.getJob(e.jobId).catch(() => undefined);
      const result = e.payload.result;
      const pipeline = job ? pipelineOfKind(job.kind) : 'unknown';
      this.jobsFinished.inc({ pipeline, result });
      if (job?.startedAt != null && job.finishedAt != null) this.jobDuration.observe({ pipeline, result }, (job.finishedAt - job.startedAt) / 1000);
    } else if (e.kind === 'run.finished' && e.runId) {
      const run = await this.o.store.getRun(e.runId).catch(() => undefined);
      if (!run) return;
      const verdict = run.verdict ?? e.payload.verdict;
      this.runsFinished.inc({ pipeline: run.pipeline, verdict });
      if (run.finishedAt !== null) this.runDuration.observe({ pipeline: run.pipeline, verdict }, (run.finishedAt - run.createdAt) / 1000);
    }
  }

  /** Reads the gauges from the store; called before each scrape. */
  async refresh(): Promise<void> {
    const { store } = this.o;
    const { config } = this.o.site;
    const open = await unfinishedRuns(store);
    for (const g of [this.queue, this.running, this.unfinished, this.capacity, this.busy, this.utilisation, this.leases]) g.reset();
    for (const { run, jobs } of open) {
      this.unfinished.inc({ pipeline: run.pipeline });
      for (const j of jobs) {
        if (j.state === 'queued') this.queue.inc({ pipeline: pipelineOfKind(j.kind) });
        if (j.state === 'running') this.running.inc({ pipeline: pipelineOfKind(j.kind) });
      }
    }
    const now = this.o.now();
    const held = (await store.listLeases()).filter((l) => l.expiresAt > now);
    for (const l of held) this.leases.inc({ kind: l.resource.split(':')[0] ?? l.resource });
    for (const [name, p] of Object.entries(config.providers)) {
      const busy = held.filter((l) => l.resource === `provider:${name}`).length;
      this.capacity.set({ provider: name }, p.capacity);
      this.busy.set({ provider: name }, busy);
      this.utilisation.set({ provider: name }, p.capacity > 0 ? busy / p.capacity : 0);
    }
    this.disabled.set((await store.listTargetStates(now)).filter((t) => t.disabled).length);
    this.leader.reset();
    this.leaderTerm.reset();
    const leader = await store.getLeader(SERVICE_ROLE);
    if (leader && leader.expiresAt > now) {
      this.leader.set({ role: SERVICE_ROLE, holder: leader.holder }, 1);
      this.leaderTerm.set({ role: SERVICE_ROLE }, leader.term);
    }
  }

  /**
   * The disk gauges. A walk of a large work_dir takes a while: a scrape shows the last
   * finished walk and starts the next one when that is over a minute old; only the first
   * scrape waits for one.
   */
  private async refreshDisk(): Promise<void> {
    const site = this.o.site;
    if (!site.resolvePath) return;
    const resolvePath = (p: string) => site.resolvePath?.(p) ?? p;
    const now = this.o.now();
    if (!this.walking && (!this.disk || now - this.disk.at > DISK_WALK_EVERY_MS)) {
      this.walking = diskUsage(retentionSiteOf(site.config, resolvePath))
        .then((usage) => { this.disk = { at: now, usage }; }, () => {})
        .finally(() => { this.walking = undefined; });
    }
    if (!this.disk) await this.walking;
    const usage = this.disk?.usage;
    if (!usage) return;
    for (const [kind, bytes] of Object.entries(usage.used)) this.diskUsed.set({ kind }, bytes);
    if (usage.freeBytes !== null) this.diskFree.set(usage.freeBytes);
  }

  async text(): Promise<string> {
    await this.refresh();
    await this.refreshDisk();
    return this.registry.metrics();
  }
}
