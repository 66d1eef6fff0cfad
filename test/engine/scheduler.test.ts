import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import type { PipelineName } from '../../src/core/config-schema.js';
import { lastEventOf, streamOf, type FiredPayload } from '../../src/engine/schedule-log.js';
import { Scheduler, type TriggerOutcome } from '../../src/engine/scheduler.js';
import { VirtualClock } from '../../src/sim/virtual-clock.js';
import type { Store } from '../../src/store/index.js';
import { forEachStore } from '../helpers/store-matrix.js';

const T = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

interface Call { pipeline: PipelineName; firedAt: string; at: string }

/** A trigger that notes each call at the virtual time it was made and answers `answer`. */
function recorder(clock: VirtualClock, answer: (pipeline: PipelineName, n: number) => Promise<TriggerOutcome> | TriggerOutcome) {
  const calls: Call[] = [];
  const trigger = async (pipeline: PipelineName, firedAt: number): Promise<TriggerOutcome> => {
    calls.push({ pipeline, firedAt: iso(firedAt), at: iso(clock.now()) });
    return answer(pipeline, calls.length);
  };
  return { calls, trigger };
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

/** The schedule events of a pipeline, oldest first, as `kind firedAt outcome`. */
async function history(store: Store, pipeline: PipelineName): Promise<string[]> {
  return (await store.listEvents({ runId: streamOf(pipeline) })).map((e) => {
    if (e.kind !== 'schedule.fired') return `${e.kind} ${iso(e.at)}`;
    const p = e.payload as FiredPayload;
    const o = p.outcome;
    const detail = o.kind === 'nothing' ? o.why : o.kind === 'failed' ? o.error : o.runId;
    return `fired ${iso(p.firedAt)} ${o.kind} ${detail}${p.coalescedWith === undefined ? '' : ` with ${iso(p.coalescedWith)}`}`;
  });
}

/** Waits (in real time: a PostgreSQL write is real I/O) until the pipeline's history has `n` events. */
async function untilHistory(store: Store, pipeline: PipelineName, n: number): Promise<string[]> {
  for (let i = 0; i < 1000; i++) {
    const h = await history(store, pipeline);
    if (h.length >= n) return h;
    await delay(10);
  }
  throw new Error(`the history of ${pipeline} never reached ${n} events: ${JSON.stringify(await history(store, pipeline))}`);
}

async function advanceTo(clock: VirtualClock, at: string): Promise<void> {
  await clock.advance(T(at) - clock.now());
}

/** Settles `work`, or fails after `ms` of real time: for what must not wait on virtual time. */
async function promptly<T>(work: Promise<T>, ms = 2000): Promise<T> {
  const ac = new AbortController();
  try {
    return await Promise.race([work, delay(ms, undefined, { signal: ac.signal }).then(() => { throw new Error(`not settled within ${ms} ms`); })]);
  } finally {
    ac.abort();
  }
}

forEachStore('scheduler: fires each pipeline at its cron times, in UTC, and records each firing', async ({ store }) => {
  const clock = new VirtualClock(T('2026-11-29T11:48:00Z'));
  const { calls, trigger } = recorder(clock, (p, n) => (p === 'images' ? { kind: 'nothing', why: 'no target has a base' } : { kind: 'started', runId: `r${n}` }));
  const lines: string[] = [];
  const scheduler = new Scheduler({ schedules: { images: '0 1 * * 0', phase2: '0 3 * * *' }, clock, trigger, store, log: (l) => lines.push(l) });
  await scheduler.start();
  try {
    assert.deepEqual(scheduler.nextFirings(clock.now()), [
      { pipeline: 'phase2', cron: '0 3 * * *', next: T('2026-11-30T03:00:00Z') },
      { pipeline: 'images', cron: '0 1 * * 0', next: T('2026-12-06T01:00:00Z') },
    ]);
    assert.equal(calls.length, 0, 'a first start owes nothing');
    await advanceTo(clock, '2026-11-30T02:59:59Z');
    assert.equal(calls.length, 0);
    await advanceTo(clock, '2026-11-30T03:00:00Z');
    await untilHistory(store, 'phase2', 2);
    // A day at a time: a firing while the previous one is still being recorded (real I/O
    // on PostgreSQL, while virtual time races on) would be coalesced with it.
    for (let day = 1; day <= 6; day++) {
      await advanceTo(clock, `2026-12-0${day}T12:00:00Z`);
      await untilHistory(store, 'phase2', 2 + day);
    }
    await untilHistory(store, 'images', 2);
  } finally {
    await scheduler.stop();
  }
  assert.deepEqual(calls.slice(0, 3), [
    { pipeline: 'phase2', firedAt: '2026-11-30T03:00:00.000Z', at: '2026-11-30T03:00:00.000Z' },
    { pipeline: 'phase2', firedAt: '2026-12-01T03:00:00.000Z', at: '2026-12-01T03:00:00.000Z' },
    { pipeline: 'phase2', firedAt: '2026-12-02T03:00:00.000Z', at: '2026-12-02T03:00:00.000Z' },
  ]);
  assert.deepEqual(calls.filter((c) => c.pipeline === 'images'), [{ pipeline: 'images', firedAt: '2026-12-06T01:00:00.000Z', at: '2026-12-06T01:00:00.000Z' }]);
  assert.equal(calls.length, 8, 'phase2 on 30 November to 6 December, images once');
  const phase2 = await history(store, 'phase2');
  assert.deepEqual(phase2.slice(0, 3), ['schedule.armed 2026-11-29T11:48:00.000Z', 'fired 2026-11-30T03:00:00.000Z started r1', 'fired 2026-12-01T03:00:00.000Z started r2']);
  assert.equal(phase2.length, 8);
  assert.deepEqual(await history(store, 'images'), ['schedule.armed 2026-11-29T11:48:00.000Z', 'fired 2026-12-06T01:00:00.000Z nothing no target has a base']);
  const fired = (await store.listEvents({ runId: streamOf('phase2') }))[1]!;
  assert.deepEqual(fired.payload, { pipeline: 'phase2', cron: '0 3 * * *', firedAt: T('2026-11-30T03:00:00Z'), outcome: { kind: 'started', runId: 'r1' } });
  assert.ok(lines.includes('schedule phase2 "0 3 * * *" fired for 2026-11-30T03:00:00Z: started run r1'), lines.join('\n'));
  assert.ok(lines.includes('schedule images "0 1 * * 0" fired for 2026-12-06T01:00:00Z: nothing to run: no target has a base'), lines.join('\n'));
});

forEachStore('scheduler: a firing while the previous trigger still runs is coalesced with it, not queued', async ({ store }) => {
  const clock = new VirtualClock(T('2026-11-29T10:30:00Z'));
  const slow = deferred<TriggerOutcome>();
  const { calls, trigger } = recorder(clock, (_p, n) => (n === 1 ? slow.promise : { kind: 'coalesced', runId: 'r1' }));
  const scheduler = new Scheduler({ schedules: { promote: '0 * * * *' }, clock, trigger, store });
  await scheduler.start();
  try {
    await advanceTo(clock, '2026-11-29T11:00:00Z');
    assert.equal(calls.length, 1);
    await advanceTo(clock, '2026-11-29T13:30:00Z');
    assert.equal(calls.length, 1, 'the firings of 12:00 and 13:00 did not call the trigger again');
    assert.equal((await history(store, 'promote')).length, 1, 'nor are they recorded before the first one is');
    slow.resolve({ kind: 'started', runId: 'r1' });
    assert.deepEqual(await untilHistory(store, 'promote', 4), [
      'schedule.armed 2026-11-29T10:30:00.000Z',
      'fired 2026-11-29T11:00:00.000Z started r1',
      'fired 2026-11-29T12:00:00.000Z coalesced r1 with 2026-11-29T11:00:00.000Z',
      'fired 2026-11-29T13:00:00.000Z coalesced r1 with 2026-11-29T11:00:00.000Z',
    ]);
    await advanceTo(clock, '2026-11-29T14:00:00Z');
    assert.equal(calls.length, 2, 'once the trigger is done, the next firing calls it again');
    assert.equal(calls[1]!.firedAt, '2026-11-29T14:00:00.000Z');
    assert.equal((await untilHistory(store, 'promote', 5))[4], 'fired 2026-11-29T14:00:00.000Z coalesced r1', 'the trigger\'s own coalesced answer is recorded as is');
  } finally {
    await scheduler.stop();
  }
});

forEachStore('scheduler: stop() during a sleep returns at once; during a trigger it waits for it and its record', async ({ store }) => {
  const clock = new VirtualClock(T('2026-11-29T11:48:00Z'));
  const { calls, trigger } = recorder(clock, () => ({ kind: 'started', runId: 'r1' }));
  const idle = new Scheduler({ schedules: { phase2: '0 3 * * *' }, clock, trigger, store });
  await idle.start();
  assert.equal(clock.pending, 1, 'it sleeps on the clock');
  await promptly(idle.stop());
  assert.equal(clock.now(), T('2026-11-29T11:48:00Z'), 'no virtual time passed');
  assert.equal(clock.pending, 0, 'its sleep is gone');
  assert.equal(calls.length, 0);

  const slow = deferred<TriggerOutcome>();
  const busy = new Scheduler({ schedules: { phase2: '0 3 * * *' }, clock, trigger: async () => slow.promise, store });
  await busy.start();
  await advanceTo(clock, '2026-11-30T03:00:00Z');
  let stopped = false;
  const stopping = busy.stop().then(() => { stopped = true; });
  await delay(50);
  assert.equal(stopped, false, 'stop waits for the trigger in flight');
  slow.resolve({ kind: 'nothing', why: 'updates/ is empty' });
  await promptly(stopping);
  assert.equal((await history(store, 'phase2')).at(-1), 'fired 2026-11-30T03:00:00.000Z nothing updates/ is empty', 'and for its record');
  assert.equal(clock.pending, 0);
});

forEachStore('scheduler: after a restart, firings missed while none ran are caught up once', async ({ store, open }) => {
  const clock = new VirtualClock(T('2026-11-29T11:48:00Z'));
  const { calls, trigger } = recorder(clock, (_p, n) => ({ kind: 'started', runId: `r${n}` }));
  const first = new Scheduler({ schedules: { phase2: '0 3 * * *' }, clock, trigger, store });
  await first.start();
  await advanceTo(clock, '2026-11-30T04:00:00Z');
  await untilHistory(store, 'phase2', 2);
  await first.stop();
  assert.equal(calls.length, 1);

  // Down over the firings of 1 and 2 December; back at 05:00 on the 2nd, through another handle.
  await advanceTo(clock, '2026-12-02T05:00:00Z');
  const again = await open();
  const lines: string[] = [];
  const second = new Scheduler({ schedules: { phase2: '0 3 * * *', images: '0 1 * * 0' }, clock, trigger, store: again, log: (l) => lines.push(l) });
  await second.start();
  try {
    await untilHistory(again, 'phase2', 3);
    assert.deepEqual(calls.slice(1), [{ pipeline: 'phase2', firedAt: '2026-12-02T03:00:00.000Z', at: '2026-12-02T05:00:00.000Z' }], 'one firing, for the latest missed');
    assert.ok(lines.includes('schedule phase2 "0 3 * * *": catching up the firing of 2026-12-02T03:00:00Z, missed while no scheduler ran'), lines.join('\n'));
    await advanceTo(clock, '2026-12-03T03:00:00Z');
    await untilHistory(again, 'phase2', 4);
  } finally {
    await second.stop();
  }
  assert.deepEqual(calls.map((c) => c.firedAt), ['2026-11-30T03:00:00.000Z', '2026-12-02T03:00:00.000Z', '2026-12-03T03:00:00.000Z'], 'images, newly scheduled, owed nothing');
  assert.deepEqual(await history(store, 'images'), ['schedule.armed 2026-12-02T05:00:00.000Z']);

  // A restart with nothing missed fires nothing.
  await advanceTo(clock, '2026-12-03T18:00:00Z');
  const third = new Scheduler({ schedules: { phase2: '0 3 * * *' }, clock, trigger, store });
  await third.start();
  await third.stop();
  assert.equal(calls.length, 3);
  assert.deepEqual(await history(store, 'phase2'), [
    'schedule.armed 2026-11-29T11:48:00.000Z',
    'fired 2026-11-30T03:00:00.000Z started r1',
    'fired 2026-12-02T03:00:00.000Z started r2',
    'fired 2026-12-03T03:00:00.000Z started r3',
  ]);
});

forEachStore('scheduler: a scheduler stopped before its first firing still owes it after a restart', async ({ store }) => {
  const clock = new VirtualClock(T('2026-11-29T14:00:00Z'));
  const { calls, trigger } = recorder(clock, () => ({ kind: 'started', runId: 'r1' }));
  const first = new Scheduler({ schedules: { phase2: '0 3 * * *' }, clock, trigger, store });
  await first.start();
  await advanceTo(clock, '2026-11-30T02:00:00Z');
  await first.stop();
  await advanceTo(clock, '2026-11-30T04:00:00Z');
  const second = new Scheduler({ schedules: { phase2: '0 3 * * *' }, clock, trigger, store });
  await second.start();
  await untilHistory(store, 'phase2', 2);
  await second.stop();
  assert.deepEqual(calls, [{ pipeline: 'phase2', firedAt: '2026-11-30T03:00:00.000Z', at: '2026-11-30T04:00:00.000Z' }]);
});

forEachStore('scheduler: a trigger that throws is recorded as failed and the schedule goes on', async ({ store }) => {
  const clock = new VirtualClock(T('2026-11-29T10:30:00Z'));
  const { calls, trigger } = recorder(clock, (_p, n) => {
    if (n === 1) throw new Error('the update repository is locked');
    return { kind: 'started', runId: `r${n}` };
  });
  const scheduler = new Scheduler({ schedules: { phase2: '0 * * * *' }, clock, trigger, store });
  await scheduler.start();
  try {
    await advanceTo(clock, '2026-11-29T11:00:00Z');
    await untilHistory(store, 'phase2', 2);
    await advanceTo(clock, '2026-11-29T12:00:00Z');
    await untilHistory(store, 'phase2', 3);
  } finally {
    await scheduler.stop();
  }
  assert.equal(calls.length, 2);
  assert.deepEqual((await history(store, 'phase2')).slice(1), [
    'fired 2026-11-29T11:00:00.000Z failed the update repository is locked',
    'fired 2026-11-29T12:00:00.000Z started r2',
  ]);
});

forEachStore('the last event of a schedule stream is found among many others', async ({ store }) => {
  assert.equal(await lastEventOf(store, streamOf('phase2')), undefined);
  // Enough other events that finding the end takes a gallop past the first step (1024).
  let seq = 0;
  const lastOf = new Map<string, number>();
  for (let i = 0; i < 2600; i++) {
    const runId = i % 500 === 7 ? streamOf('phase2') : i % 3 === 0 ? streamOf('images') : `r${i}`;
    seq = await store.appendEvent(runId.startsWith('schedule:')
      ? { at: i, kind: 'schedule.fired', runId, payload: { pipeline: 'phase2', cron: '* * * * *', firedAt: i, outcome: { kind: 'nothing', why: 'empty' } } }
      : { at: i, kind: 'job.started', runId, payload: { worker: 'w', attempt: i, lockedUntil: null } });
    lastOf.set(runId, seq);
  }
  assert.equal((await lastEventOf(store, streamOf('phase2')))?.seq, lastOf.get(streamOf('phase2')));
  assert.deepEqual((await lastEventOf(store, streamOf('phase2')))?.at, 2507);
  assert.equal((await lastEventOf(store, streamOf('images')))?.seq, lastOf.get(streamOf('images')));
  assert.equal((await lastEventOf(store, 'r2599'))?.seq, seq);
  assert.equal(await lastEventOf(store, streamOf('promote')), undefined);
}, { timeoutMs: 120_000 });
