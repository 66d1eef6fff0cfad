import { sql, type ExpressionBuilder, type Kysely } from 'kysely';
import type { JobState } from './job-state.js';
import { UNFINISHED_RUN_STATES } from './run-state.js';
import type { RunState } from './run-state.js';
import type { Database, JobsTable } from './schema.js';

// The fair order in which queued jobs are claimed: the oldest available job, fairly across
// runs: jobs of runs with fewer running jobs come first, so one large run cannot starve
// many small ones. Jobs of a finished run are never claimed.
//
// A batch of claims follows that order as one claim after another would: each claim makes
// its run one job busier. So the k-th job (in age order) of a run with r running jobs is
// claimed with the key (r + k - 1, its age): the order of the whole batch is the order of
// that key, and a run's jobs beyond the batch's size can never be in it.

/** A queued job as the claim order sees it. */
export interface Candidate {
  readonly id: string;
  readonly runId: string;
  readonly kind: string;
  /** Its place in age order (created, then id, as the database collates them) among those read. */
  readonly age: number;
  /** Its run's running jobs when read. */
  readonly running: number;
  readonly runState: RunState;
}

type CandidateEb = ExpressionBuilder<Database & { candidate: JobsTable }, 'candidate'>;

/** Where the candidates are read: the store, or the claiming transaction (which sees its own claims). */
export type CandidateSource = Kysely<Database>;

function eligible(db: CandidateSource, now: number, kinds: readonly string[], except: readonly string[], plainAvailableAt = false) {
  // The unary plus keeps SQLite (which has no statistics) walking the (state, created_at,
  // id) index in claim order, where the (state, available_at) range must be read whole and sorted.
  const availableAt = plainAvailableAt ? sql.ref<number>('candidate.available_at') : sql<number>`+${sql.ref('candidate.available_at')}`;
  let query = db
    .selectFrom('jobs as candidate')
    .where('candidate.state', '=', 'queued' satisfies JobState)
    .where(availableAt, '<=', now)
    .where('candidate.kind', 'in', [...kinds])
    // Correlated, not `run_id in (unfinished runs)`: SQLite built the list of every
    // unfinished run for each claim; this asks only the candidates walked.
    .where((eb) => eb.exists(eb.selectFrom('runs').select('runs.id').whereRef('runs.id', '=', 'candidate.run_id').where('runs.state', 'in', UNFINISHED_RUN_STATES)));
  // Jobs this claim tried already and found taken by another worker.
  if (except.length > 0) query = query.where('candidate.id', 'not in', [...except]);
  return query;
}

const runState = (eb: CandidateEb) => eb.selectFrom('runs').select('runs.state').whereRef('runs.id', '=', 'candidate.run_id').as('run_state');
const busy = (eb: CandidateEb) => eb.selectFrom('jobs as busy').whereRef('busy.run_id', '=', 'candidate.run_id').where('busy.state', '=', 'running' satisfies JobState);

interface CandidateRow { id: string; run_id: string; kind: string; run_state: string | null; running: number | string | bigint | null }

function toCandidate(row: CandidateRow, age: number): Candidate {
  return { id: row.id, runId: row.run_id, kind: row.kind, age, running: Number(row.running ?? 0), runState: row.run_state as RunState };
}

/**
 * The first `most` jobs of idle runs (no job running) in age order, walked on the
 * (state, created_at, id) index and stopped at the last; and whether any job of `anyOf` (default the kinds)
 * is queued at all. Asked after every job that ends (a freed node may fit a queued job), so
 * a drained queue costs one round trip: `together` sends both questions as one statement
 * (PostgreSQL, where the round trip is the cost); otherwise the second is asked only when
 * the first found nothing (SQLite, where the union cost more than the two).
 */
export async function idleRunCandidates(
  db: CandidateSource, now: number, kinds: readonly string[], most: number, except: readonly string[] = [], together = true, anyOf: readonly string[] = kinds,
): Promise<{ idle: Candidate[]; anyQueued: boolean }> {
  const idle = eligible(db, now, kinds, except)
    .select((eb) => ['candidate.id', 'candidate.run_id', 'candidate.kind', 'candidate.created_at', runState(eb), sql<number>`0`.as('running'), sql<number>`1`.as('idle')])
    .where((eb) => eb.not(eb.exists(busy(eb).select('busy.id'))))
    .orderBy('candidate.created_at')
    .orderBy('candidate.id')
    .limit(most);
  const any = eligible(db, now, anyOf, except, true)
    .select((eb) => ['candidate.id', 'candidate.run_id', 'candidate.kind', 'candidate.created_at', runState(eb), sql<number>`0`.as('running'), sql<number>`0`.as('idle')])
    .limit(1);
  if (!together) {
    const rows = await idle.execute();
    return { idle: rows.map((r, i) => toCandidate(r, i)), anyQueued: rows.length > 0 || (await any.execute()).length > 0 };
  }
  const rows = await db.selectFrom(idle.as('idle_first')).selectAll()
    .unionAll(db.selectFrom(any.as('any_queued')).selectAll())
    .orderBy('idle', 'desc').orderBy('created_at').orderBy('id')
    .execute();
  return {
    idle: rows.filter((r) => Number(r.idle) === 1).map((r, i) => toCandidate(r, i)),
    anyQueued: rows.length > 0,
  };
}

/**
 * The jobs a batch of `most` claims may take, best first in the fair order, each with its
 * run's running jobs: every run's first `most` queued jobs, ranked by the batch key.
 * Reads every queued job of the kinds: asked only when the idle runs cannot fill the batch.
 */
export async function rankedCandidates(db: CandidateSource, now: number, kinds: readonly string[], most: number, limit: number, except: readonly string[] = []): Promise<Candidate[]> {
  const numbered = eligible(db, now, kinds, except, true)
    .select(['candidate.id', 'candidate.run_id', 'candidate.kind', 'candidate.created_at'])
    .select(sql<number>`row_number() over (partition by ${sql.ref('candidate.run_id')} order by ${sql.ref('candidate.created_at')}, ${sql.ref('candidate.id')})`.as('nth'))
    .select(sql<number>`row_number() over (order by ${sql.ref('candidate.created_at')}, ${sql.ref('candidate.id')})`.as('age'));
  const counted = db
    .selectFrom(numbered.as('candidate'))
    .select((eb) => [
      'candidate.id', 'candidate.run_id', 'candidate.kind', 'candidate.nth', 'candidate.age',
      eb.selectFrom('runs').select('runs.state').whereRef('runs.id', '=', 'candidate.run_id').as('run_state'),
      eb.selectFrom('jobs as busy').whereRef('busy.run_id', '=', 'candidate.run_id').where('busy.state', '=', 'running' satisfies JobState)
        .select((b) => b.fn.countAll<number>().as('n')).as('running'),
    ])
    .where('candidate.nth', '<=', most);
  const rows = await db
    .selectFrom(counted.as('ranked'))
    .selectAll()
    .orderBy(sql`${sql.ref('ranked.running')} + ${sql.ref('ranked.nth')}`)
    .orderBy('ranked.age')
    .limit(limit)
    .execute();
  return rows.map((r) => toCandidate(r as CandidateRow, Number(r.age)));
}

/**
 * The candidates of a batch of `most` claims of the kinds: the idle runs' first jobs when
 * they fill it (one job of each of `most` idle runs: all of them come before any other
 * job in the claim order), else the ranked read.
 */
export async function candidatesFor(db: CandidateSource, now: number, kinds: readonly string[], most: number, except: readonly string[] = [], idleRead?: readonly Candidate[]): Promise<Candidate[]> {
  const idle = idleRead ?? (await idleRunCandidates(db, now, kinds, most, except, false)).idle;
  const fills = idle.length === most && idle.every((c) => kinds.includes(c.kind)) && new Set(idle.map((c) => c.runId)).size === most;
  // Twice the batch: room for a kind whose semaphore fills within the batch.
  return fills ? [...idle] : rankedCandidates(db, now, kinds, most, most * 2, except);
}

/**
 * Picks up to `most` candidates as that many claims one after another would: each time the
 * least (running + claimed so far, age) among the candidates `fits` (its kind's leases have
 * room, counting what this batch took), which `take` then reserves.
 */
export function pickInClaimOrder(candidates: readonly Candidate[], most: number, fits: (c: Candidate) => boolean, take: (c: Candidate) => void): Candidate[] {
  const left = [...candidates];
  const claimed = new Map<string, number>();
  const picked: Candidate[] = [];
  while (picked.length < most) {
    let best: Candidate | undefined;
    let bestKey = Infinity;
    for (const c of left) {
      const key = c.running + (claimed.get(c.runId) ?? 0);
      if (key > bestKey || (key === bestKey && best && c.age > best.age)) continue;
      if (!fits(c)) continue;
      best = c;
      bestKey = key;
    }
    if (!best) break;
    take(best);
    picked.push(best);
    claimed.set(best.runId, (claimed.get(best.runId) ?? 0) + 1);
    left.splice(left.indexOf(best), 1);
  }
  return picked;
}
