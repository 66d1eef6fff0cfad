import type { EventPayload, GerritRefSchema, RecordOf } from '../../core/records/index.js';
import type { Run, Store } from '../../store/index.js';
import { num, obj, str } from './events.js';

/**
 * What the trigger has done about each change, kept as events in the store so a restart
 * (or a duplicate event, or the catch-up after a lost connection) does not test a patch
 * set twice: `gerrit.request` before a run is submitted (carrying the run id, so the
 * reporter knows where to vote), `gerrit.rejected` when the change failed its checks or its
 * plan was refused, `gerrit.command` for a phase2 command handled. A request whose run never
 * got written (the process died in between) counts for nothing and is made again.
 */

/** Which patch set a run tests: where its vote and comment go (its record schema is in core/records). */
export type GerritRef = RecordOf<typeof GerritRefSchema>;

/** What a `gerrit.*` event records: the patch set, the cause, Gerrit's time of it (ms) and who gave a command. */
type GerritEntry = EventPayload<'gerrit.request'>;

export type RequestCause = Exclude<GerritEntry['cause'], 'phase2'>;

export type LedgerEntry = GerritEntry & {
  readonly kind: 'request' | 'rejected' | 'command';
  readonly runId: string | null;
};

const KINDS: Record<string, LedgerEntry['kind']> = { 'gerrit.request': 'request', 'gerrit.rejected': 'rejected', 'gerrit.command': 'command' };
const EVENT_OF = { request: 'gerrit.request', rejected: 'gerrit.rejected', command: 'gerrit.command' } as const satisfies Record<LedgerEntry['kind'], string>;

export class GerritLedger {
  private readonly byChange = new Map<string, LedgerEntry[]>();

  constructor(private readonly store: Store, private readonly now: () => number) {}

  /** Reads every gerrit.* event once, oldest first (the events table has no index by kind). */
  async load(): Promise<void> {
    for (let after = 0; ;) {
      const page = await this.store.listEvents({ afterSeq: after, limit: 1000 });
      for (const e of page) {
        const kind = KINDS[e.kind];
        const entry = kind ? toEntry(kind, e.runId, e.payload) : undefined;
        if (entry) this.add(entry);
      }
      if (page.length < 1000) return;
      after = page[page.length - 1]?.seq ?? after;
    }
  }

  entries(project: string, change: number): readonly LedgerEntry[] {
    return this.byChange.get(key(project, change)) ?? [];
  }

  /** The newest Gerrit time the trigger acted on for a change; 0 when it never did. */
  latestAt(project: string, change: number): number {
    return Math.max(0, ...this.entries(project, change).map((e) => e.requestedAt));
  }

  /** Entries that stand: rejections and commands, and requests whose run exists. */
  async standing(project: string, change: number): Promise<LedgerEntry[]> {
    const all = this.entries(project, change);
    const rejectedRuns = new Set(all.filter((e) => e.kind === 'rejected' && e.runId !== null).map((e) => e.runId));
    const out: LedgerEntry[] = [];
    for (const e of all) {
      if (e.kind !== 'request') out.push(e);
      else if (e.runId !== null && !rejectedRuns.has(e.runId) && (await this.store.getRun(e.runId))) out.push(e);
    }
    return out;
  }

  async record(entry: LedgerEntry): Promise<void> {
    const kind = EVENT_OF[entry.kind];
    const { runId, kind: _kind, ...payload } = entry;
    await this.store.appendEvent({ at: this.now(), kind, runId, payload });
    this.add(entry);
  }

  private add(entry: LedgerEntry): void {
    const k = key(entry.project, entry.change);
    const list = this.byChange.get(k) ?? [];
    list.push(entry);
    this.byChange.set(k, list);
  }
}

/** The patch set a run tests: from its inputs when the submitter recorded it there, else from the ledger. */
export async function gerritRefOf(store: Store, run: Run): Promise<GerritRef | undefined> {
  const fromInputs = toRef(obj(run.inputs)?.gerrit);
  if (fromInputs) return fromInputs;
  const events = await store.listEvents({ runId: run.id, limit: 100 });
  const request = events.find((e) => e.kind === 'gerrit.request');
  return request ? toRef(request.payload) : undefined;
}

function key(project: string, change: number): string {
  return `${project}~${change}`;
}

function toRef(raw: unknown): GerritRef | undefined {
  const p = obj(raw);
  const project = str(p?.project);
  const branch = str(p?.branch);
  const change = num(p?.change);
  const patchset = num(p?.patchset);
  const revision = str(p?.revision);
  return project && branch && change && patchset && revision ? { project, branch, change, patchset, revision } : undefined;
}

function toEntry(kind: LedgerEntry['kind'], runId: string | null, raw: unknown): LedgerEntry | undefined {
  const ref = toRef(raw);
  const p = obj(raw);
  const cause = p?.cause;
  const requestedAt = typeof p?.requestedAt === 'number' ? p.requestedAt : 0;
  const by = str(p?.by);
  if (!ref || (cause !== 'patchset' && cause !== 'recheck' && cause !== 'topic' && cause !== 'phase2')) return undefined;
  return { ...ref, kind, cause, requestedAt, runId, ...(by ? { by } : {}) };
}
