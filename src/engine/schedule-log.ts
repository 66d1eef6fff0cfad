import type { PipelineName } from '../core/config-schema.js';
import type { EventPayload } from '../core/records/events.js';
import type { StoredEvent } from '../store/events.js';
import type { Store } from '../store/store.js';

// What the scheduler remembers across restarts, kept in the event log only. The events of
// one pipeline's schedule share a stream name in place of a run id (`schedule:phase2`; run
// ids never hold a colon), so the last of them is found through the (run_id, seq) index
// without a kind filter or a scan of the whole log.

/** What a firing records (`schedule.fired`): its schema is in core/records/events.ts. */
export type FiredPayload = EventPayload<'schedule.fired'>;

/** What a firing came to: the trigger's answer, or its error. */
export type FiringOutcome = FiredPayload['outcome'];

/** The trigger's answer: started, coalesced into the run of that pipeline still going, or nothing to run (e.g. updates/ is empty). */
export type TriggerOutcome = Exclude<FiringOutcome, { kind: 'failed' }>;

/** What arming a pipeline's schedule records (`schedule.armed`): from `since` on a scheduler watched it, nothing is owed before. */
export type ArmedPayload = EventPayload<'schedule.armed'>;

export const FIRED = 'schedule.fired';
export const ARMED = 'schedule.armed';

export type ScheduleLogStore = Pick<Store, 'appendEvent' | 'listEvents'>;

export function streamOf(pipeline: PipelineName): string {
  return `schedule:${pipeline}`;
}

export async function recordFired(store: ScheduleLogStore, at: number, payload: FiredPayload): Promise<void> {
  await store.appendEvent({ at, kind: FIRED, runId: streamOf(payload.pipeline), payload });
}

export async function recordArmed(store: ScheduleLogStore, at: number, payload: ArmedPayload): Promise<void> {
  await store.appendEvent({ at, kind: ARMED, runId: streamOf(payload.pipeline), payload });
}

/**
 * The instant up to which the pipeline's schedule was served: its last firing, or when a
 * scheduler first armed it. Null when no scheduler ever did.
 */
export async function servedUntil(store: ScheduleLogStore, pipeline: PipelineName): Promise<number | null> {
  const last = await lastEventOf(store, streamOf(pipeline));
  if (!last) return null;
  const at = last.kind === FIRED ? last.payload.firedAt : last.kind === ARMED ? last.payload.since : undefined;
  // A payload someone edited by hand (it reads as unreadable) still tells when it was written.
  return typeof at === 'number' && Number.isFinite(at) ? at : last.at;
}

/**
 * The newest event of a stream. The store lists events oldest first from a cursor, so
 * this searches the cursor: "is there an event after seq x?" is true below the last
 * event's seq and false from it on. Galloping then halving finds it in O(log seq) indexed
 * lookups of one row, however long the stream.
 */
export async function lastEventOf(store: Pick<Store, 'listEvents'>, runId: string): Promise<StoredEvent | undefined> {
  const after = async (seq: number) => (await store.listEvents({ runId, afterSeq: seq, limit: 1 }))[0];
  let best = await after(0);
  if (!best) return undefined;
  // Invariant: `best` is in the stream, and nothing in it lies after `hi`.
  let hi: number;
  for (let step = 1024; ; step *= 2) {
    const beyond = await after(best.seq + step);
    if (!beyond) { hi = best.seq + step; break; }
    best = beyond;
  }
  while (hi > best.seq) {
    const mid = Math.floor((best.seq + hi) / 2);
    const found = await after(mid);
    if (found) best = found;
    else hi = mid;
  }
  return best;
}
