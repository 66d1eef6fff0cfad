import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sshSettings } from '../../../../src/drivers/providers/ssh/ssh-config.js';
import { sshProvider } from '../../../../src/drivers/providers/ssh/ssh-provider.js';
import type { Execution } from '../../../../src/engine/node-provider.js';
import type { JobSpec } from '../../../../src/engine/job-spec.js';
import { tempDir } from '../../../helpers/paths.js';
import { requireSshd, startShellSshds } from '../../../helpers/sshd.js';

type T = Parameters<typeof requireSshd>[0] & Parameters<typeof startShellSshds>[0];

async function makePool(t: T, capacities: readonly number[], extra: Record<string, unknown> = {}) {
  const sshds = await startShellSshds(t, capacities.length);
  const work = tempDir(t);
  const parsed = sshSettings({
    type: 'ssh', hosts: sshds.servers.map((s, i) => ({ host: s.host, port: s.port, user: s.user, capacity: capacities[i] })),
    key_file: sshds.keyFile, known_hosts_file: sshds.knownHostsFile, work_dir: join(work, 'remote'),
    connect_timeout: '5s', down_for: '1m', kill_grace: '300ms', ...extra,
  }, (p) => p);
  if (!parsed.ok) throw new Error(`${parsed.key}: ${parsed.message}`);
  const provider = sshProvider({ name: 'pool', workDir: join(work, 'local'), configDir: work, ...parsed.settings });
  return { sshds, work, provider };
}

let seq = 0;
function execution(command: string | string[], extra: { timeoutMs?: number; signal?: AbortSignal; env?: Record<string, string> } = {}): Execution {
  const runId = `r${Date.now()}x${++seq}`;
  const spec: JobSpec = {
    pipeline: 'phase1', updateId: 'u1', target: 'kilo/epel-7', provider: 'pool', builds: [], mode: 'provision', image: null,
    modeBecause: 'test', command, timeoutMs: extra.timeoutMs ?? 30_000,
  };
  return {
    runId, jobId: `${runId}.kilo_epel-7`, attempt: 1, spec, updateFiles: [{ name: 'u1.yml', content: 'notes: hello\n' }],
    signal: extra.signal ?? new AbortController().signal, ...(extra.env ? { preparedEnv: extra.env } : {}),
  };
}

/** Processes on this machine (the "remote" host here) whose environment names the job. */
function processesOf(jobId: string): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      const state = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]?.[0];
      return state !== 'Z' && readFileSync(`/proc/${p}/environ`, 'utf8').split('\0').includes(`SLUICE_JOB=${jobId}`);
    } catch {
      return false;
    }
  }).map(Number);
}

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the ssh provider', () => {
  it('runs a passing job over SSH and streams its output into the local log', async (t) => {
    if (!requireSshd(t)) return;
    const { provider, sshds } = await makePool(t, [1]);
    const ex = execution(['echo "on $SLUICE_TARGET in $PWD"; cat "$SLUICE_UPDATE_FILE"', 'echo second >&2']);
    const o = await provider.execute(ex);
    assert.equal(o.result, 'success', o.reason);
    assert.equal(o.node, `ssh:${sshds.servers[0]!.user}@127.0.0.1:${sshds.servers[0]!.port}`);
    const log = readFileSync(o.logPath!, 'utf8');
    assert.match(log, /^on kilo\/epel-7 in .*\/remote\/r\d+x\d+\/kilo_epel-7-a1\nnotes: hello\nsecond\n$/);
  });

  it('reports a failing command with its exit status, like the local provider', async (t) => {
    if (!requireSshd(t)) return;
    const { provider } = await makePool(t, [1]);
    const o = await provider.execute(execution(['echo Error: broken', 'exit 3']));
    assert.deepEqual([o.result, o.reason], ['failure', '"exit 3" exited with status 3']);
    assert.equal(readFileSync(o.logPath!, 'utf8'), 'Error: broken\n');
    const killed = await provider.execute(execution('kill -TERM $$'));
    assert.deepEqual([killed.result, killed.reason], ['failure', 'the test command was killed by SIGTERM']);
  });

  it('hands environment values with shell metacharacters over intact and unexecuted', async (t) => {
    if (!requireSshd(t)) return;
    const { provider, work } = await makePool(t, [1]);
    const evil = `$(touch ${work}/pwned); \`touch ${work}/pwned2\`; it's "quoted" \\ ; echo hi\nsecond line`;
    const o = await provider.execute(execution('printf "%s" "$EVIL"', { env: { EVIL: evil } }));
    assert.equal(o.result, 'success', o.reason);
    assert.equal(readFileSync(o.logPath!, 'utf8'), evil);
    assert.equal(existsSync(join(work, 'pwned')) || existsSync(join(work, 'pwned2')), false);
  });

  it('kills the remote process group on timeout, background children included', async (t) => {
    if (!requireSshd(t)) return;
    const { provider } = await makePool(t, [1]);
    const ex = execution('sleep 300 & trap "" TERM; echo started; sleep 300', { timeoutMs: 1500 });
    const o = await provider.execute(ex);
    assert.equal(o.result, 'timeout', o.reason);
    assert.match(o.reason, /no result after .*: the job's processes were killed/);
    await until('no process of the job is left', () => processesOf(ex.jobId).length === 0);
  });

  it('cancels a running job and leaves none of its processes', async (t) => {
    if (!requireSshd(t)) return;
    const { provider } = await makePool(t, [1]);
    const abort = new AbortController();
    const ex = execution('sleep 300 & sleep 300', { signal: abort.signal });
    const running = provider.execute(ex);
    await until('the job runs', () => processesOf(ex.jobId).length >= 2);
    abort.abort();
    const o = await running;
    assert.deepEqual([o.result, o.reason], ['cancelled', 'cancelled']);
    await until('no process of the job is left', () => processesOf(ex.jobId).length === 0);
  });

  it('takes a host whose sshd is stopped out of the pool: the job is infra, then succeeds on the other host', async (t) => {
    if (!requireSshd(t)) return;
    const { provider, sshds } = await makePool(t, [1, 1]);
    const [first, second] = sshds.servers;
    await first!.stop();
    const failed = await provider.execute(execution('echo hi'));
    assert.equal(failed.result, 'infra');
    assert.match(failed.reason, new RegExp(`cannot reach ssh:.*:${first!.port}: .*; it takes no job for 1m`));
    const retried = await provider.execute(execution('echo hi'));
    assert.equal(retried.result, 'success', retried.reason);
    assert.equal(retried.node, `ssh:${second!.user}@127.0.0.1:${second!.port}`);
    // Still down: the next job goes to the second host too.
    const again = await provider.execute(execution('echo hi'));
    assert.equal(again.node, retried.node);
  });

  it('ends a job as infra with a clear reason when its connection drops', async (t) => {
    if (!requireSshd(t)) return;
    const { provider, sshds } = await makePool(t, [1]);
    const ex = execution('sleep 300');
    const running = provider.execute(ex);
    await until('the job runs', () => processesOf(ex.jobId).length >= 1);
    sshds.servers[0]!.dropConnections();
    const o = await running;
    assert.equal(o.result, 'infra');
    assert.match(o.reason, /^the connection to ssh:.* was lost while the test command ran: /);
    // What the dead connection left is the reaper's: it kills the recorded group.
    await provider.reap!({ runId: ex.runId, jobId: ex.jobId, target: ex.spec.target, attempt: 1 });
    await until('reaped', () => processesOf(ex.jobId).length === 0);
  });

  it('respects each host\'s capacity, least-loaded first, and refuses past the total', async (t) => {
    if (!requireSshd(t)) return;
    const { provider, sshds } = await makePool(t, [2, 1]);
    assert.equal(provider.capacity, 3);
    const abort = new AbortController();
    const exs = [0, 1, 2].map(() => execution('sleep 300', { signal: abort.signal }));
    const running = exs.map((ex) => provider.execute(ex));
    await until('three jobs run', () => exs.every((ex) => processesOf(ex.jobId).length >= 1));
    assert.deepEqual(provider.pool.hosts.map((h) => h.running), [2, 1]);
    const fourth = await provider.execute(execution('echo no room'));
    assert.equal(fourth.result, 'infra');
    assert.match(fourth.reason, /no host can take the job: .* is busy \(2\/2\); .* is busy \(1\/1\)/);
    abort.abort();
    const nodes = (await Promise.all(running)).map((o) => o.node);
    const [a, b] = sshds.servers.map((s) => `ssh:${s.user}@127.0.0.1:${s.port}`);
    assert.deepEqual(nodes.sort(), [a, a, b].sort());
    assert.deepEqual(provider.pool.hosts.map((h) => h.running), [0, 0]);
  });

  it('refuses a host whose key is not in known_hosts_file', async (t) => {
    if (!requireSshd(t)) return;
    const sshds = await startShellSshds(t, 1);
    const work = tempDir(t);
    const parsed = sshSettings({ type: 'ssh', hosts: [{ host: '127.0.0.1', port: sshds.servers[0]!.port, user: sshds.servers[0]!.user }], key_file: sshds.keyFile, known_hosts_file: '/dev/null' }, (p) => p);
    assert.ok(parsed.ok);
    const provider = sshProvider({ name: 'pool', workDir: work, configDir: work, ...parsed.settings });
    const o = await provider.execute(execution('echo hi'));
    assert.equal(o.result, 'infra');
    assert.match(o.reason, /is not in known_hosts_file/);
  });
});
