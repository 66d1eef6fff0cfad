import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseKnownHosts } from '../../../src/drivers/gerrit/known-hosts.js';
import { STREAM_EVENTS_COMMAND, startSshStream } from '../../../src/drivers/gerrit/stream.js';
import { requireSshd, startSshd, type TestSshd } from '../../helpers/sshd.js';

function collect(sshd: TestSshd, knownHostsFile = sshd.knownHostsFile) {
  const lines: string[] = [];
  const logs: string[] = [];
  let connections = 0;
  const stream = startSshStream({
    host: sshd.host, port: sshd.port, user: sshd.user,
    privateKey: readFileSync(sshd.keyFile), knownHosts: parseKnownHosts(readFileSync(knownHostsFile, 'utf8')),
    onLine: (l) => lines.push(l), onConnected: () => { connections++; }, log: (l) => logs.push(l),
    backoff: { initialMs: 50, maxMs: 400 }, keepaliveMs: 1000,
  });
  return { stream, lines, logs, connections: () => connections };
}

async function until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('streams the JSON lines gerrit stream-events prints over a real SSH connection, whatever their chunking', { timeout: 30_000 }, async (t) => {
  if (!requireSshd(t)) return;
  const sshd = await startSshd(t);
  const c = collect(sshd);
  t.after(() => c.stream.stop());
  await sshd.listening(1);
  assert.equal(c.connections(), 1);
  assert.equal(c.stream.connected(), true);
  sshd.append({ type: 'patchset-created', n: 1 });
  sshd.append({ type: 'comment-added', comment: 'a line\nwith a newline escaped, and unicode: žluťoučký' });
  await until('two lines', () => c.lines.length === 2);
  assert.equal(JSON.parse(c.lines[0] as string).n, 1);
  assert.match(JSON.parse(c.lines[1] as string).comment, /žluťoučký/);
  assert.deepEqual(sshd.commands(), [STREAM_EVENTS_COMMAND]);
  assert.match(STREAM_EVENTS_COMMAND, /^gerrit stream-events -s patchset-created -s comment-added/);
});

test('a lost connection is made again, and each new connection is announced so the trigger catches up', { timeout: 30_000 }, async (t) => {
  if (!requireSshd(t)) return;
  const sshd = await startSshd(t);
  const c = collect(sshd);
  t.after(() => c.stream.stop());
  await sshd.listening(1);
  sshd.dropConnections();
  await sshd.listening(1);
  await until('the second connection', () => c.connections() === 2);
  // The server goes away for a while: the client keeps trying, then gets through.
  await sshd.stop();
  await until('the loss noticed', () => !c.stream.connected());
  await new Promise((r) => setTimeout(r, 300));
  await sshd.start();
  await sshd.listening(1);
  await until('the third connection', () => c.connections() === 3);
  sshd.append({ type: 'patchset-created', n: 3 });
  await until('the event after reconnecting', () => c.lines.length === 1);
  assert.ok(c.logs.some((l) => /connecting again/.test(l)), c.logs.join('\n'));
});

test('refuses a server whose host key is not the one in known_hosts_file', { timeout: 30_000 }, async (t) => {
  if (!requireSshd(t)) return;
  const sshd = await startSshd(t);
  const c = collect(sshd, sshd.wrongKnownHostsFile);
  t.after(() => c.stream.stop());
  await until('a refusal logged', () => c.logs.some((l) => /host key .* is not the one in known_hosts_file/.test(l)));
  assert.equal(c.connections(), 0);
  assert.deepEqual(sshd.commands(), []);
});
