import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SERVICE_ROLE } from '../../src/engine/leadership.js';
import { openStore, type Store, type StoredEvent } from '../../src/store/index.js';
import { exited, serve as servedProcess, sleep, until, type Served } from '../helpers/fault-serve.js';
import { tempDir } from '../helpers/paths.js';
import { postgres, stopPostgres } from '../helpers/postgres.js';
import { makeSite, updateText } from '../helpers/site.js';
import { BOT, GerritStandin } from '../helpers/gerrit-standin.js';
import { WEBHOOK_PATH } from '../../src/drivers/gerrit/webhook.js';

after(stopPostgres);

/** `sluice serve` on the shared store, with a dashboard on a free port. */
const serve = (dir: string, storeUrl: string, env: Readonly<Record<string, string>> = {}) => servedProcess(dir, storeUrl, env, { listen: '127.0.0.1:0' });

async function firings(store: Store): Promise<Extract<StoredEvent, { kind: 'schedule.fired' }>[]> {
  const all = await store.listEvents({ runId: 'schedule:phase2', limit: 10_000 });
  return all.filter((e): e is Extract<StoredEvent, { kind: 'schedule.fired' }> => e.kind === 'schedule.fired');
}

test('two serves on one PostgreSQL store: one leads; after a SIGKILL of the leader the other takes over and the next firing is made once', { timeout: 240_000 }, async (t) => {
  const pg = await postgres();
  if (!pg.ok) { t.skip(pg.reason); return; }
  const dir = tempDir(t);
  const site = await makeSite(dir);
  // A lease shorter than the default, so the test waits less; the wiring is the same.
  writeFileSync(join(dir, 'sluice.yaml'), readFileSync(join(dir, 'sluice.yaml'), 'utf8')
    .replace('retry_backoff: 50ms', 'retry_backoff: 50ms, leader_lease: 4s, leader_renew: 500ms')
    + 'schedules: { phase2: "* * * * *" }\n');
  const url = await pg.server.createDatabase();
  const serves = [serve(site.dir, url), serve(site.dir, url)];
  const logs = () => serves.map((s, i) => `--- serve ${i} (pid ${s.process.pid}):\n${s.stderr()}`).join('\n');
  t.after(async () => {
    for (const s of serves) if (s.process.exitCode === null && s.process.signalCode === null) s.process.kill('SIGKILL');
    await Promise.all(serves.map((s) => exited(s.process)));
  });
  await until('both serves working', async () => (serves.every((s) => s.stderr().includes('sluice serve: working')) ? true : undefined), 60_000, logs);
  const store = await openStore(url);
  try {
    const first = await until('a leader', async () => store.getLeader(SERVICE_ROLE), 30_000, logs);
    const leaderIndex = serves.findIndex((s) => first.holder.includes(`:${s.process.pid}:`));
    assert.ok(leaderIndex >= 0, `the leader ${first.holder} is one of the two serves`);
    const leader = serves[leaderIndex]!;
    const follower = serves[1 - leaderIndex]!;
    assert.match(follower.stderr(), /leader \(service\): following /, 'the other one follows');
    assert.doesNotMatch(follower.stderr(), /elected/);
    // The leader armed the schedule: its scheduler runs, the follower's does not.
    await until('the schedule armed', async () => ((await store.listEvents({ runId: 'schedule:phase2' })).length > 0 ? true : undefined), 30_000, logs);

    leader.process.kill('SIGKILL');
    const killedAt = Date.now();
    await exited(leader.process);
    const second = await until('a new leader', async () => {
      const l = await store.getLeader(SERVICE_ROLE);
      return l && l.term > first.term ? l : undefined;
    }, 60_000, logs);
    const failoverMs = Date.now() - killedAt;
    t.diagnostic(`failover took ${(failoverMs / 1000).toFixed(1)} s (leader_lease 4s, leader_renew 500ms)`);
    assert.ok(second.holder.includes(`:${follower.process.pid}:`), `the follower leads now (${second.holder})`);
    const terms = (await store.listEvents({ runId: `leader:${SERVICE_ROLE}` })).map((e) => e.kind === 'leader.lost' ? `lost ${e.payload.term} ${e.payload.reason}` : e.kind === 'leader.elected' ? `elected ${e.payload.term}` : e.kind);
    assert.deepEqual(terms, [`elected ${first.term}`, `lost ${first.term} expired`, `elected ${second.term}`]);

    // The first firing after the kill, made by the new leader (caught up at its start when it fell in the gap).
    const next = await until('a firing after the kill', async () => (await firings(store)).find((e) => e.payload.firedAt > killedAt), 120_000, logs);
    // Long enough for a second scheduler, or a catch-up and a loop of one, to fire it again.
    await sleep(5_000);
    const all = await firings(store);
    assert.equal(all.filter((e) => e.payload.firedAt === next.payload.firedAt).length, 1, `the firing of ${new Date(next.payload.firedAt).toISOString()} is recorded once:\n${logs()}`);
    assert.equal(new Set(all.map((e) => e.payload.firedAt)).size, all.length, 'no firing recorded twice');
    assert.match(follower.stderr(), /schedule phase2 "\* \* \* \* \*" fired for /);

    // /metrics names the leader, from any serve's dashboard.
    const address = /dashboard and API on (http:\/\/[^/\s]+)\//.exec(follower.stderr())?.[1];
    assert.ok(address, 'the follower has a dashboard');
    const metrics = await (await fetch(`${address}/metrics`)).text();
    assert.match(metrics, new RegExp(`^sluice_leader\\{role="service",holder="${second.holder}"\\} 1$`, 'm'));
    assert.match(metrics, new RegExp(`^sluice_leader_term\\{role="service"\\} ${second.term}$`, 'm'));

    // A serve that stops resigns: the role is free at once, not after the lease.
    follower.process.kill('SIGTERM');
    await exited(follower.process);
    const last = (await store.listEvents({ runId: `leader:${SERVICE_ROLE}` })).at(-1);
    assert.equal(last?.kind === 'leader.lost' ? last.payload.reason : last?.kind, 'resigned');
    assert.equal(await store.getLeader(SERVICE_ROLE), undefined);
  } finally {
    await store.close();
  }
});

test('two serves on one PostgreSQL store follow Gerrit through the leader only: after a SIGKILL of the leader, a change uploaded in the gap and one after are each handled once', { timeout: 300_000 }, async (t) => {
  const pg = await postgres();
  if (!pg.ok) { t.skip(pg.reason); return; }
  const dir = tempDir(t);
  const site = await makeSite(dir);
  const gerrit = await new GerritStandin().start();
  t.after(() => gerrit.stop());
  writeFileSync(join(dir, 'sluice.yaml'), `${readFileSync(join(dir, 'sluice.yaml'), 'utf8').replace('retry_backoff: 50ms', 'retry_backoff: 50ms, leader_lease: 4s, leader_renew: 500ms')}gerrit:
  url: "${gerrit.url}"
  project: ${gerrit.project}
  http: { user: ${BOT.username}, password_env: GERRIT_PW }
  webhook: { listen: "127.0.0.1:0", secret_env: HOOK_SECRET }
  submit: true
`);
  const url = await pg.server.createDatabase();
  const env = { GERRIT_PW: gerrit.password, HOOK_SECRET: 'hook-secret' };
  const serves = [serve(site.dir, url, env), serve(site.dir, url, env)];
  const logs = () => serves.map((s, i) => `--- serve ${i} (pid ${s.process.pid}):\n${s.stderr()}`).join('\n');
  t.after(async () => {
    for (const s of serves) if (s.process.exitCode === null && s.process.signalCode === null) s.process.kill('SIGKILL');
    await Promise.all(serves.map((s) => exited(s.process)));
  });
  // Gerrit's webhook points at whichever serve leads; while none does, deliveries are lost (the catch-up is the net).
  let webhookPort: number | undefined;
  gerrit.onEvent((e) => {
    if (webhookPort === undefined) return;
    void fetch(`http://127.0.0.1:${webhookPort}${WEBHOOK_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-sluice-secret': 'hook-secret' }, body: JSON.stringify(e) }).catch(() => undefined);
  });
  const portOf = (s: Served) => Number(/webhook on 127\.0\.0\.1:(\d+)/.exec(s.stderr())?.[1]) || undefined;
  await until('both serves working', async () => (serves.every((s) => s.stderr().includes('sluice serve: working')) ? true : undefined), 60_000, logs);
  const store = await openStore(url);
  try {
    const first = await until('a leader', async () => store.getLeader(SERVICE_ROLE), 30_000, logs);
    const leader = serves.find((s) => first.holder.includes(`:${s.process.pid}:`))!;
    const follower = serves.find((s) => s !== leader)!;
    webhookPort = await until('the leader\'s webhook', async () => portOf(leader), 30_000, logs);
    assert.equal(portOf(follower), undefined, 'a follower runs no trigger');
    const upload = (id: string) => gerrit.upload({ files: { [`updates/${id}.yml`]: { content: updateText(`change ${id}`, ['kilo/epel-7']) } }, subject: `New ${id}`, topic: 'kilo_epel-7' }).change;
    const before = upload('befr');
    await until('the change before the kill submitted', async () => (gerrit.submits.includes(before) ? true : undefined), 90_000, logs);

    leader.process.kill('SIGKILL');
    webhookPort = undefined;
    await exited(leader.process);
    const gap = upload('gapp');
    const second = await until('a new leader', async () => {
      const l = await store.getLeader(SERVICE_ROLE);
      return l && l.term > first.term ? l : undefined;
    }, 60_000, logs);
    assert.ok(second.holder.includes(`:${follower.process.pid}:`));
    webhookPort = await until('the new leader\'s webhook', async () => portOf(follower), 30_000, logs);
    const afterwards = upload('aftr');
    for (const change of [gap, afterwards]) {
      await until(`change ${change} submitted`, async () => (gerrit.submits.includes(change) ? true : undefined), 120_000, logs);
    }
    // Long enough for a second handling (a catch-up and a webhook delivery of the same patch set) to show.
    await sleep(5_000);
    const requests = (await store.listEvents({ limit: 10_000 })).filter((e) => e.kind === 'gerrit.request');
    for (const change of [before, gap, afterwards]) {
      assert.equal(requests.filter((e) => e.kind === 'gerrit.request' && e.payload.change === change).length, 1, `change ${change} is requested once:\n${logs()}`);
      assert.equal(gerrit.reviewsOf(change).length, 1, `change ${change} is voted on once`);
      assert.equal(gerrit.submits.filter((c) => c === change).length, 1, `change ${change} is submitted once`);
    }
  } finally {
    await store.close();
  }
});
