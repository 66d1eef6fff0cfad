import assert from 'node:assert/strict';
import { systemClock } from '../../src/engine/clock.js';
import { Leadership, type LeadershipOptions } from '../../src/engine/leadership.js';
import type { Store } from '../../src/store/index.js';
import { sleep } from '../helpers/fault-serve.js';
import { forEachStore } from '../helpers/store-matrix.js';

const role = 'service';
const LEASE = 600;
const RENEW = 100;

/** What a Leadership went through, in order, with when. */
function journal() {
  const entries: string[] = [];
  const at: Record<string, number> = {};
  const note = (what: string) => { entries.push(what); at[what] ??= Date.now(); };
  return { entries, at, note };
}

function leadership(store: LeadershipOptions['store'], holder: string, note: (what: string) => void, o: { onElected?: () => Promise<void> } = {}): Leadership {
  const l: Leadership = new Leadership({
    store, role, holder, leaseMs: LEASE, renewMs: RENEW, clock: systemClock,
    onElected: async (term) => { note(`${holder} elected ${term}`); await o.onElected?.(); },
    onLost: async () => { note(`${holder} lost (leading: ${l.leading})`); },
  });
  return l;
}

async function until(what: string, look: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await look())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** The real store, whose renewals can be held back (a store that stopped answering this process). */
function stallable(store: Store) {
  let stalled: Promise<void> | undefined;
  let release = () => {};
  return {
    store: {
      takeLeadership: (i: Parameters<Store['takeLeadership']>[0]) => store.takeLeadership(i),
      renewLeadership: async (i: Parameters<Store['renewLeadership']>[0]) => { await stalled; return store.renewLeadership(i); },
      resignLeadership: (i: Parameters<Store['resignLeadership']>[0]) => store.resignLeadership(i),
    },
    stall() { stalled = new Promise((r) => { release = r; }); },
    resume() { release(); stalled = undefined; },
  };
}

forEachStore('Leadership: one of two leads; the follower takes over once the leader stops renewing, and the stalled leader stops its work before its lease runs out', async ({ store }) => {
  const { entries, at, note } = journal();
  const a = stallable(store);
  const first = leadership(a.store, 'a', note);
  await first.start();
  assert.equal(first.leading, true);
  const second = leadership(store, 'b', note);
  await second.start();
  assert.equal(second.leading, false, 'the second only follows');
  a.stall();
  try {
    await until('b elected', () => second.leading);
    assert.deepEqual(entries, ['a elected 1', 'a lost (leading: false)', 'b elected 2']);
    const lease = await store.getLeader(role);
    assert.ok(lease && at['a lost (leading: false)']! < lease.acquiredAt, 'a stopped before b could take over');
  } catch (e) {
    // A stalled renewal never returns by itself: let it go and stop both, or the failure hangs the file.
    a.resume();
    await Promise.allSettled([first.stop(), second.stop()]);
    throw e;
  }
  // a's renewal comes back, late: refused, and a stays a follower.
  a.resume();
  await sleep(3 * RENEW);
  assert.equal(first.leading, false);
  assert.equal((await store.getLeader(role))?.holder, 'b');
  await first.stop();
  await second.stop();
  assert.deepEqual(entries, ['a elected 1', 'a lost (leading: false)', 'b elected 2', 'b lost (leading: false)']);
  assert.equal(await store.getLeader(role), undefined, 'b resigned as it stopped');
}, { timeoutMs: 60_000 });

forEachStore('Leadership: a stalled leader stops by its own clock; its late renewal, refused because another took the role, never renews over it', async ({ store }) => {
  const { entries, note } = journal();
  const a = stallable(store);
  const first = leadership(a.store, 'a', note);
  await first.start();
  a.stall();
  // Another holder takes the expired lease while a's renewal is held back.
  await until('the lease expired', async () => ((await store.getLeader(role))?.expiresAt ?? 0) <= Date.now());
  const taken = await store.takeLeadership({ role, holder: 'c', now: Date.now(), ttlMs: 60_000 });
  assert.equal(taken.ok, true);
  a.resume();
  await sleep(3 * RENEW);
  assert.equal(first.leading, false);
  assert.deepEqual(entries, ['a elected 1', 'a lost (leading: false)']);
  await first.stop();
  assert.equal((await store.getLeader(role))?.holder, 'c', 'a stopping resigns nothing of c\'s');
}, { timeoutMs: 60_000 });

forEachStore('Leadership: when the leader\'s work cannot start on the first look, start throws and the role is free', async ({ store }) => {
  const { note } = journal();
  const failing = leadership(store, 'a', note, { onElected: async () => { throw new Error('gerrit.http.password_env names $X, which is not set'); } });
  await assert.rejects(failing.start(), /password_env/);
  assert.equal(await store.getLeader(role), undefined);
});
