import { dependsOnFooters } from '../../core/depends-on.js';
import { formatProblem, type Problem } from '../../core/problem.js';
import { newRunId } from '../../engine/hash.js';
import type { Store } from '../../store/index.js';
import { KeyedQueue } from '../repo/keyed-queue.js';
import { checkChangeFiles, checkChangeUpdate } from './change-check.js';
import { parseCommand } from './commands.js';
import { rejectionComment, replyComment } from './comment.js';
import { parseEvent, sameAccount, type ChangeRef, type GerritAccount, type GerritEvent } from './events.js';
import { GerritLedger, type GerritRef, type LedgerEntry, type RequestCause } from './ledger.js';
import { REVIEW_TAG, type LabelValues } from './reporter.js';
import type { ChangeInfo, GerritRest } from './rest.js';

/**
 * What Gerrit's events make Sluice do. A new patch set (or a changed topic, or a `recheck`
 * comment) of an open change of the project's branch is checked as `rdoupdate check -g`
 * did (change-check.ts) and its update file, fetched over REST, is submitted to phase1; a
 * change that fails the checks gets a review saying why, never a crash. `run phase2` from a
 * member of the configured group starts phase2. A merged or abandoned change, or a newer
 * patch set, cancels the runs still testing an older one.
 *
 * Events of one change are handled in order, one at a time; other changes' events never
 * wait behind them. Every decision starts from the change as REST shows it now, so events
 * that arrive late, twice, or out of order do no harm: an older patch set than the
 * current is not tested, and the ledger (ledger.ts) says what was done already.
 */

export interface GerritSubmission {
  /** The id the run must get: the ledger records it before the run exists. */
  readonly runId: string;
  readonly bytes: Uint8Array;
  /** `updates/<id>.yml`, as the change names it. */
  readonly file: string;
  readonly author: { readonly name: string; readonly email: string };
  readonly gerrit: GerritRef;
  /** The values of the commit message's `Depends-On:` footers (update ids, change URLs): updates it needs. */
  readonly dependsOn?: readonly { readonly ref: string; readonly why: string }[];
}

/** What `submitPhase1` answers: the run, or why the update cannot be planned. */
export type GerritSubmitResult = { readonly ok: true; readonly runId: string } | { readonly ok: false; readonly problems: readonly Problem[] };

export type RecheckFailedAnswer = { readonly ok: true; readonly runId: string } | { readonly ok: false; readonly message: string };

export interface Phase2Request {
  readonly by: GerritAccount;
  readonly change: ChangeRef;
}

export type Phase2Answer = { readonly runId: string; readonly kind: 'started' | 'coalesced' } | { readonly refused: string };

export interface GerritTriggerOptions {
  readonly store: Store;
  readonly rest: GerritRest;
  readonly project: string;
  readonly branch: string;
  /** Sluice's own accounts: their comments command nothing. */
  readonly self: readonly GerritAccount[];
  readonly labels: Readonly<Record<string, LabelValues>>;
  readonly phase2Group?: string;
  readonly submit: (s: GerritSubmission) => Promise<GerritSubmitResult>;
  /** `recheck failed`: the failed targets of the latest run of this content again, or why not (absent: the command is refused). */
  readonly recheckFailed?: (s: GerritSubmission) => Promise<RecheckFailedAnswer>;
  readonly onPhase2: (r: Phase2Request) => Promise<Phase2Answer>;
  /** The engine's wake-up: a run was written. */
  readonly notify: () => void;
  /** The branch moved (a change was submitted): a local mirror of the update repository may fetch. */
  readonly onRefUpdated?: (ref: { readonly refName: string; readonly newRev: string }) => void;
  readonly now: () => number;
  readonly log?: (line: string) => void;
}

/**
 * Gerrit's times: events carry whole seconds, REST messages milliseconds, so the same
 * comment seen both ways differs by up to a second. Two requests this close are one.
 */
const SAME_MOMENT_MS = 1000;

export class GerritTrigger {
  private readonly queue = new KeyedQueue();
  private readonly ledger: GerritLedger;
  private pending = 0;
  private drained: (() => void)[] = [];
  private catchingUp: Promise<void> | undefined;
  private catchUpAgain = false;

  constructor(private readonly o: GerritTriggerOptions) {
    this.ledger = new GerritLedger(o.store, o.now);
  }

  /** Reads what was done before this process started. */
  load(): Promise<void> {
    return this.ledger.load();
  }

  /** One event from any transport (a stream-events line parsed, a webhook body). */
  accept(raw: unknown): void {
    const ev = parseEvent(raw, this.o.now());
    if (!ev) return;
    if (ev.kind === 'ref') {
      if (ev.project === this.o.project && (ev.refName === this.o.branch || ev.refName === `refs/heads/${this.o.branch}`)) this.o.onRefUpdated?.(ev);
      return;
    }
    if (ev.project !== this.o.project || ev.branch !== this.o.branch) return;
    this.enqueue(ev, () => this.handle(ev));
  }

  /**
   * Finds what no event told: open changes whose current patch set was never handled, and
   * commands left on changes already known. Calls during a catch-up make one more pass.
   */
  catchUp(): Promise<void> {
    if (this.catchingUp) {
      this.catchUpAgain = true;
      return this.catchingUp;
    }
    this.catchingUp = (async () => {
      do {
        this.catchUpAgain = false;
        const open = await this.o.rest.openChanges(this.o.project, this.o.branch);
        await Promise.all(open.map((info) => this.enqueue(info, () => this.catchUpChange(info))));
      } while (this.catchUpAgain);
    })().catch((e) => this.o.log?.(`gerrit catch-up: ${(e as Error).message}`)).finally(() => {
      this.catchingUp = undefined;
      this.settleIdle();
    });
    return this.catchingUp;
  }

  /** Resolves once every event accepted so far has been handled (tests, shutdown). */
  idle(): Promise<void> {
    if (this.pending === 0 && !this.catchingUp) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  private enqueue(c: ChangeRef, task: () => Promise<void>): Promise<void> {
    this.pending++;
    return this.queue.run(`${c.project}~${c.change}`, task)
      .catch((e) => this.o.log?.(`gerrit change ${c.change}: ${(e as Error).message}`))
      .finally(() => {
        this.pending--;
        this.settleIdle();
      });
  }

  private settleIdle(): void {
    if (this.pending === 0 && !this.catchingUp) for (const d of this.drained.splice(0)) d();
  }

  private async handle(ev: Exclude<GerritEvent, { kind: 'ref' }>): Promise<void> {
    switch (ev.kind) {
      case 'patchset': return this.test(ev, 'patchset', ev.at, ev.patchset);
      case 'topic': return this.test(ev, 'topic', ev.at);
      case 'comment': return this.command(ev, ev.author, ev.text, ev.at);
      case 'closed': return this.cancelRuns(ev, 0, `the change was ${ev.how}`);
    }
  }

  private async catchUpChange(info: ChangeInfo): Promise<void> {
    const known = this.ledger.latestAt(info.project, info.change);
    await this.test(info, 'patchset', info.patchsetAt, info.patchset, info);
    // Comments on a change never seen before are history, not commands.
    if (known === 0) return;
    for (const m of info.messages) {
      if (m.patchset === info.patchset && m.at > known + SAME_MOMENT_MS && m.tag !== REVIEW_TAG) await this.command(info, m.author, m.text, m.at);
    }
  }

  private async command(c: ChangeRef, author: GerritAccount, text: string, at: number): Promise<void> {
    if (this.o.self.some((s) => sameAccount(s, author))) return;
    const cmd = parseCommand(text);
    if (cmd === 'recheck') await this.test(c, 'recheck', at);
    else if (cmd === 'recheck-failed') await this.test(c, 'recheck', at, undefined, undefined, true);
    else if (cmd === 'phase2') await this.phase2(c, author, at);
  }

  /** Tests the change's current patch set, unless that was done for this request already. */
  private async test(c: ChangeRef, cause: RequestCause, at: number, patchset?: number, fresh?: ChangeInfo, onlyFailed = false): Promise<void> {
    const info = fresh ?? await this.o.rest.getChange(c.project, c.change);
    if (!info || info.status !== 'NEW') return;
    // A late event of an older patch set: the current one has (or gets) its own.
    if (patchset !== undefined && patchset < info.patchset) return;
    const standing = (await this.ledger.standing(c.project, c.change)).filter((e) => e.patchset === info.patchset && e.kind !== 'command');
    if (cause === 'patchset' ? standing.length > 0 : standing.some((e) => e.requestedAt >= at - SAME_MOMENT_MS)) return;
    if (cause !== 'patchset' && (await this.runningRun(standing))) return;
    await this.cancelRuns(info, info.patchset, `superseded by patch set ${info.patchset}`);
    const ref: GerritRef = { project: info.project, branch: info.branch, change: info.change, patchset: info.patchset, revision: info.revision };
    const entry = { ...ref, cause, requestedAt: at || this.o.now() };
    const files = checkChangeFiles(await this.o.rest.listFiles(info.project, info.change, info.revision), info.subject);
    if (!files.ok) return this.reject(entry, null, files.problems.map((p) => p.message));
    const bytes = await this.o.rest.fileContent(info.project, info.change, info.revision, files.path);
    const problems = checkChangeUpdate(bytes, files.path, info.topic);
    if (problems.length > 0) return this.reject(entry, null, problems.map((p) => p.message));
    const runId = newRunId(this.o.now());
    if (onlyFailed) return this.recheckFailed(entry, { runId, bytes, file: files.path, author: info.author, gerrit: ref });
    await this.ledger.record({ ...entry, kind: 'request', runId });
    const dependsOn = dependsOnFooters(info.commitMessage ?? '').map((ref) => ({ ref, why: `Depends-On in change ${info.change}` }));
    const submitted = await this.o.submit({ runId, bytes, file: files.path, author: info.author, gerrit: ref, ...(dependsOn.length > 0 ? { dependsOn } : {}) });
    if (!submitted.ok) return this.reject(entry, runId, submitted.problems.filter((p) => p.severity === 'error').map(formatProblem));
    this.o.log?.(`gerrit change ${info.change} patch set ${info.patchset} (${cause}): run ${runId}`);
    this.o.notify();
  }

  /** `recheck failed`: a refusal is a reply without a vote (the patch set's verdict stands) and a ledger entry, so it is said once. */
  private async recheckFailed(entry: Omit<LedgerEntry, 'kind' | 'runId'>, s: GerritSubmission): Promise<void> {
    await this.ledger.record({ ...entry, kind: 'request', runId: s.runId });
    const answer = this.o.recheckFailed ? await this.o.recheckFailed(s) : { ok: false as const, message: '"recheck failed" is not enabled here' };
    if (answer.ok) {
      this.o.log?.(`gerrit change ${entry.change} patch set ${entry.patchset} (recheck failed): run ${answer.runId}`);
      this.o.notify();
      return;
    }
    await this.o.rest.review(entry.project, entry.change, entry.revision, { message: replyComment(`recheck failed: ${answer.message}`), tag: REVIEW_TAG });
    await this.ledger.record({ ...entry, kind: 'rejected', runId: s.runId });
  }

  private async runningRun(entries: readonly LedgerEntry[]): Promise<boolean> {
    for (const e of entries) {
      const run = e.kind === 'request' && e.runId ? await this.o.store.getRun(e.runId) : undefined;
      if (run && run.state !== 'finished') return true;
    }
    return false;
  }

  /** The review first, the ledger after: a review lost to a Gerrit outage is made at the next catch-up. */
  private async reject(entry: Omit<LedgerEntry, 'kind' | 'runId'>, runId: string | null, problems: readonly string[]): Promise<void> {
    const labels = Object.fromEntries(Object.entries(this.o.labels).map(([name, v]) => [name, v.fail]));
    await this.o.rest.review(entry.project, entry.change, entry.revision, { message: rejectionComment(entry.patchset, problems), labels, tag: REVIEW_TAG });
    await this.ledger.record({ ...entry, kind: 'rejected', runId });
    this.o.log?.(`gerrit change ${entry.change} patch set ${entry.patchset}: not tested (${problems[0] ?? 'refused'})`);
  }

  /** Cancels unfinished runs of the change's patch sets older than `below` (0: all of them). */
  private async cancelRuns(c: ChangeRef, below: number, reason: string): Promise<void> {
    for (const e of this.ledger.entries(c.project, c.change)) {
      if (e.kind !== 'request' || !e.runId || (below > 0 && e.patchset >= below)) continue;
      const run = await this.o.store.getRun(e.runId);
      if (!run || run.state === 'finished') continue;
      const cancelled = await this.o.store.cancelRun({ runId: e.runId, now: this.o.now(), reason });
      if (cancelled.ok) this.o.log?.(`gerrit change ${c.change}: run ${e.runId} cancelled: ${reason}`);
    }
  }

  private async phase2(c: ChangeRef, by: GerritAccount, at: number): Promise<void> {
    const info = await this.o.rest.getChange(c.project, c.change);
    if (!info) return;
    const who = by.username ?? by.name ?? by.email ?? 'this account';
    const done = this.ledger.entries(c.project, c.change).some((e) => e.kind === 'command' && e.by === who && Math.abs(e.requestedAt - at) <= SAME_MOMENT_MS);
    if (done) return;
    const ref: GerritRef = { project: info.project, branch: info.branch, change: info.change, patchset: info.patchset, revision: info.revision };
    let reply: string;
    if (!this.o.phase2Group) {
      reply = `"run phase2" is not enabled here (gerrit.phase2_group is not set).`;
    } else if (!(await this.o.rest.groupMembers(this.o.phase2Group)).some((m) => sameAccount(m, by))) {
      reply = `${who} may not start phase2: only members of the group ${this.o.phase2Group} may.`;
    } else {
      const answer = await this.o.onPhase2({ by, change: c });
      reply = 'refused' in answer ? `phase2 was not started: ${answer.refused}` : answer.kind === 'started' ? `phase2 started, as ${who} asked: run ${answer.runId}.` : `phase2 is running already: run ${answer.runId} (it tests updates/ as it was when it started).`;
      this.o.notify();
    }
    await this.o.rest.review(ref.project, ref.change, ref.revision, { message: replyComment(reply), tag: REVIEW_TAG });
    await this.ledger.record({ ...ref, kind: 'command', cause: 'phase2', by: who, requestedAt: at || this.o.now(), runId: null });
  }
}
