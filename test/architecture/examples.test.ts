import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseConfigText as parseWith } from '../../src/core/config.js';
import { makeProviders } from '../../src/drivers/providers/configured-providers.js';
import { DRIVERS, type Drivers } from '../../src/drivers/registry.js';
import { openStore } from '../../src/store/index.js';
import { PROJECT_ROOT, tempDir } from '../helpers/paths.js';
import { nightlyRecheck } from './examples/add-a-pipeline.js';
import { noDebuginfo } from './examples/add-a-check.js';
import { dryRunProviderDriver } from './examples/add-a-provider.js';

/**
 * docs/architecture.md's "how to add" examples are these files, word for word: they are
 * compiled with the tests, and run here, so the page cannot drift from the code.
 */
const page = readFileSync(join(PROJECT_ROOT, 'docs', 'architecture.md'), 'utf8');
const blocks = [...page.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);

for (const name of ['add-a-provider.ts', 'add-a-pipeline.ts', 'add-a-check.ts']) {
  test(`docs/architecture.md shows test/architecture/examples/${name} as it is`, () => {
    const file = readFileSync(join(PROJECT_ROOT, 'test', 'architecture', 'examples', name), 'utf8');
    assert.ok(blocks.includes(file), `a \`\`\`ts block of docs/architecture.md must be test/architecture/examples/${name} exactly`);
  });
}

test('the example provider is all a configuration needs, and runs a job', async (t) => {
  const drivers: Drivers = { ...DRIVERS, providers: [...DRIVERS.providers, dryRunProviderDriver] };
  const text = JSON.stringify({ releases: ['kilo'], dists: { 'epel-7': { aliases: ['el7'] } }, targets: { 'kilo/epel-7': { repo: 'https://example.org/kilo/el7/', provider: 'try' } }, providers: { try: { type: 'dry-run', say: 'would have run' } }, pipelines: { phase1: { test: './run-tests.sh' } } });
  const parsed = parseWith(text, 'sluice.yaml', drivers);
  assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.problems));
  const bad = parseWith(text.replace('"would have run"', '3'), 'sluice.yaml', drivers);
  assert.deepEqual(!bad.ok && bad.problems.map((p) => `${p.path}: ${p.message}`), ['providers.try.say: say must be text']);
  const dir = tempDir(t);
  const [provider] = makeProviders(drivers.providers, parsed.config.providers, { workDir: dir, configDir: dir, imagesDir: dir, env: {}, targets: parsed.config.targets, note: () => {}, log: () => {} });
  const out = await provider?.execute({ runId: 'r', jobId: 'r.kilo_epel-7', attempt: 1, updateFiles: [], signal: new AbortController().signal, spec: { pipeline: 'phase1', updateId: 'u', target: 'kilo/epel-7', provider: 'try', builds: [], mode: 'provision', image: null, modeBecause: 'test', command: './run-tests.sh', timeoutMs: 1000 } });
  assert.equal(out?.result, 'success');
  assert.equal(out?.reason, 'would have run: ./run-tests.sh');
});

test('the example pipeline starts nothing on an empty store and says why', async (t) => {
  const store = await openStore(`sqlite:${join(tempDir(t), 'sluice.db')}`);
  t.after(() => store.close());
  const parsed = parseWith(JSON.stringify({ releases: ['kilo'], dists: { 'epel-7': {} }, targets: { 'kilo/epel-7': { repo: 'https://example.org/kilo/el7/' } } }), 'sluice.yaml', DRIVERS);
  assert.ok(parsed.ok);
  const out = await nightlyRecheck.start?.({ config: parsed.config, configHash: 'h', store, updateRepo: async () => '.' }, Date.parse('2026-12-07T00:00:00Z'));
  assert.deepEqual(out, { kind: 'nothing', why: 'nothing to recheck at 2026-12-07T00:00:00.000Z' });
});

test('the example check refuses debuginfo packages, naming each, and passes the rest', async () => {
  const input = { production: 'https://example.org/kilo/el7/', releasever: '7', cacheDir: '.' };
  const failed = await noDebuginfo({ ...input, rpms: ['/c/nova-1-1.el7.noarch.rpm', '/c/nova-debuginfo-1-1.el7.x86_64.rpm'] });
  assert.equal(failed.status, 'failure');
  assert.deepEqual(failed.problems, ['nova-debuginfo-1-1.el7.x86_64.rpm: a debuginfo package belongs in the debug repository']);
  assert.equal((await noDebuginfo({ ...input, rpms: ['/c/nova-1-1.el7.noarch.rpm', '/c/nova-1-1.el7.src.rpm'] })).status, 'pass');
});
