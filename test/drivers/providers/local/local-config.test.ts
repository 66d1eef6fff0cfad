import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { findOnPath } from '../../../../src/drivers/providers/local/bwrap-probe.js';
import { localProviderFromConfig } from '../../../../src/drivers/providers/local/local-config.js';
import { tempDir } from '../../../helpers/paths.js';
import { bwrapOrSkip, execution } from './sandbox-fixture.js';

/** A PATH holding the tools a job needs but no bwrap: links to them in a directory of their own. */
function pathWithoutBwrap(t: { after: (fn: () => void) => void }): string {
  const dir = tempDir(t);
  for (const tool of ['sh', 'true', 'cat']) {
    const found = findOnPath(tool, process.env.PATH ?? '');
    if (found) symlinkSync(found, join(dir, tool));
  }
  return dir;
}

describe('the local provider\'s settings', () => {
  const ctx = (t: { after: (fn: () => void) => void }) => {
    const dir = tempDir(t);
    return { workDir: join(dir, 'work'), configDir: dir };
  };

  it('names the key of a bad setting', (t) => {
    const bad = (raw: object) => {
      const r = localProviderFromConfig('local', { type: 'local', ...raw }, ctx(t));
      assert.ok(!r.ok);
      return `${r.key}: ${r.message}`;
    };
    assert.equal(bad({ isolation: 'maybe' }), 'isolation: isolation must be auto, bwrap or none');
    assert.equal(bad({ network: 'no' }), 'network: network must be true or false');
    assert.equal(bad({ sandbox: true }), 'sandbox: not a key of a local provider (type, capacity, isolation, network)');
    assert.equal(bad({ capacity: 0 }).split(':')[0], 'capacity');
  });

  it('refuses isolation: bwrap when bwrap is not on PATH, saying so', (t) => {
    const r = localProviderFromConfig('local', { type: 'local', isolation: 'bwrap' }, { ...ctx(t), path: pathWithoutBwrap(t) });
    assert.ok(!r.ok);
    assert.equal(r.key, 'isolation');
    assert.equal(r.message, 'bwrap was asked for, but bwrap is not on PATH (Debian and Fedora package it as bubblewrap)');
  });

  it('runs unisolated under auto without bwrap, and says so once; network: false then is an error', (t) => {
    const lines: string[] = [];
    const path = pathWithoutBwrap(t);
    const first = localProviderFromConfig('local', { type: 'local', capacity: 3 }, { ...ctx(t), path, log: (l) => lines.push(l) });
    const second = localProviderFromConfig('other', { type: 'local' }, { ...ctx(t), path, log: (l) => lines.push(l) });
    assert.ok(first.ok && second.ok);
    assert.deepEqual(first.isolation, { kind: 'none' });
    assert.equal(first.provider.capacity, 3);
    assert.equal(second.provider.capacity, 2, 'the core\'s default');
    assert.deepEqual(lines, ['providers.local: jobs run without isolation: bwrap is not on PATH (Debian and Fedora package it as bubblewrap)']);
    const offline = localProviderFromConfig('local', { type: 'local', network: false }, { ...ctx(t), path });
    assert.ok(!offline.ok);
    assert.equal(offline.key, 'network');
  });

  it('uses bwrap under auto where it works', (t) => {
    if (!bwrapOrSkip(t)) return;
    const r = localProviderFromConfig('local', { type: 'local' }, ctx(t));
    assert.ok(r.ok);
    assert.equal(r.isolation.kind, 'bwrap');
  });
});

describe('isolation settings at work', () => {
  it('network: false leaves a job only the loopback interface', async (t) => {
    if (!bwrapOrSkip(t, false)) return;
    const offline = localProviderFromConfig('local', { type: 'local', isolation: 'bwrap', network: false }, { workDir: join(tempDir(t), 'work'), configDir: tempDir(t) });
    const online = localProviderFromConfig('local', { type: 'local', isolation: 'bwrap' }, { workDir: join(tempDir(t), 'work'), configDir: tempDir(t) });
    assert.ok(offline.ok && online.ok);
    // /proc/net/dev lists the interfaces of the reader's network namespace.
    const interfaces = async (p: typeof offline.provider) => {
      const out = await p.execute(execution('tail -n +3 /proc/net/dev | cut -d: -f1'));
      assert.equal(out.result, 'success', out.reason);
      return readFileSync(out.logPath as string, 'utf8').split('\n').slice(1).map((l) => l.trim()).filter(Boolean);
    };
    assert.deepEqual(await interfaces(offline.provider), ['lo']);
    const host = await interfaces(online.provider);
    t.diagnostic(`with the network: ${host.join(' ')}`);
    assert.ok(host.some((i) => i !== 'lo'), 'with the network, the host\'s interfaces are there');
  });

  it('isolation: none runs as before: the host\'s processes are visible and the host is writable', async (t) => {
    const canary = mkdtempSync('/var/tmp/sluice-canary-');
    t.after(() => rmSync(canary, { recursive: true, force: true }));
    const dir = tempDir(t);
    mkdirSync(join(dir, 'work'));
    const r = localProviderFromConfig('local', { type: 'local', isolation: 'none' }, { workDir: join(dir, 'work'), configDir: dir });
    assert.ok(r.ok);
    assert.deepEqual(r.isolation, { kind: 'none' });
    const out = await r.provider.execute(execution('test -e "/proc/$WORKER/environ" && touch "$CANARY/written" && exit 4', { env: { WORKER: String(process.pid), CANARY: canary } }));
    assert.deepEqual({ result: out.result, reason: out.reason }, { result: 'failure', reason: 'the test command exited with status 4' });
    assert.ok(existsSync(join(canary, 'written')));
    assert.doesNotMatch(readFileSync(out.logPath as string, 'utf8'), /bwrap/);
  });
});
