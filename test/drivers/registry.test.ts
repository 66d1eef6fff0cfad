import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseConfigText as parseWith } from '../../src/core/config.js';
import { CAPACITY, configSchemaFor } from '../../src/core/config-schema.js';
import type { DriverDeclaration } from '../../src/core/driver-declaration.js';
import type { NodeProvider } from '../../src/engine/node-provider.js';
import { makeProviders } from '../../src/drivers/providers/configured-providers.js';
import type { ProviderDriver, ProviderSite } from '../../src/drivers/providers/provider-driver.js';
import { DRIVERS, parseConfigText, type Drivers } from '../../src/drivers/registry.js';
import type { TriggerDriver } from '../../src/drivers/trigger-driver.js';
import { PROJECT_ROOT, tempDir } from '../helpers/paths.js';

const BASE = {
  releases: ['kilo'],
  dists: { 'epel-7': { aliases: ['el7'] } },
  targets: { 'kilo/epel-7': { repo: 'https://example.org/kilo/el7/' } },
};
// JSON is YAML: the config is read as sluice.yaml is.
const configText = (more: Record<string, unknown>) => `${JSON.stringify({ ...BASE, ...more }, null, 2)}\n`;

/** The yaml blocks of a docs page, parsed. */
function yamlBlocks(page: string): unknown[] {
  const text = readFileSync(join(PROJECT_ROOT, page), 'utf8');
  return [...text.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => parseYaml(m[1] ?? ''));
}

const asMap = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v)) : {});

/** The first entry of this driver's type in its page's examples, as the config key holding it. */
function documentedExample(kind: 'providers' | 'sources' | 'triggers', driver: DriverDeclaration): Record<string, unknown> | undefined {
  for (const block of yamlBlocks(driver.docs)) {
    const top = asMap(block);
    if (kind === 'triggers') {
      if (driver.type in top) return { [driver.type]: top[driver.type] };
      continue;
    }
    const entry = Object.entries(asMap(top[kind])).find(([, e]) => asMap(e).type === driver.type);
    // Beside the default provider the base config's target uses.
    if (entry) return { [kind]: { ...(kind === 'providers' ? { local: { type: 'local' } } : {}), [entry[0]]: entry[1] } };
  }
  return undefined;
}

describe('the driver registry', () => {
  it('gives every driver a type of its own within its kind, and no trigger a key sluice.yaml has already', () => {
    for (const kind of ['providers', 'sources', 'triggers'] as const) {
      const types = DRIVERS[kind].map((d) => d.type);
      assert.deepEqual(types, [...new Set(types)], `${kind}: ${types.join(', ')}`);
    }
    const clash: TriggerDriver = { ...DRIVERS.triggers[0]!, type: 'web' };
    assert.throws(() => configSchemaFor({ ...DRIVERS, triggers: [clash] }), /the trigger type web is a key of sluice.yaml already/);
  });

  it('accepts the example each driver\'s page documents', () => {
    for (const kind of ['providers', 'sources', 'triggers'] as const) {
      for (const driver of DRIVERS[kind]) {
        // The simulator's provider is written by `sluice simulate`, never by an operator.
        if (kind === 'providers' && !(driver as ProviderDriver).create) continue;
        const example = documentedExample(kind, driver);
        assert.ok(example, `${driver.docs} shows no example of ${kind} type ${driver.type}`);
        const r = parseConfigText(configText(example), 'sluice.yaml');
        assert.ok(r.ok, `${driver.docs}, ${driver.type}: ${JSON.stringify(!r.ok && r.problems)}`);
      }
    }
  });

  it('refuses an unknown provider or source type, listing the known ones, at the type\'s line', () => {
    const text = 'releases: [kilo]\ndists: { epel-7: {} }\ntargets: {}\nproviders:\n  cloud: { type: aws }\nsources:\n  cbs: { type: brew, hub: "https://x.example/" }\n';
    const r = parseConfigText(text, 'sluice.yaml');
    assert.ok(!r.ok);
    const byPath = new Map(r.problems.map((p) => [p.path, p]));
    assert.equal(byPath.get('providers.cloud.type')?.message, `provider type must be ${DRIVERS.providers.slice(0, -1).map((d) => d.type).join(', ')} or ${DRIVERS.providers.at(-1)?.type}`);
    assert.equal(byPath.get('providers.cloud.type')?.line, 5);
    assert.equal(byPath.get('sources.cbs.type')?.message, 'a source has type koji, koji-scratch, copr or local');
    assert.equal(byPath.get('sources.cbs.type')?.line, 7);
  });

  it('checks a provider\'s own keys by its driver\'s schema, naming file, line and key', () => {
    const text = configText({ providers: { local: { type: 'local', isolation: 'maybe' }, pool: { type: 'ssh', hosts: [{ host: 'a', user: 'u', port: 'x' }], key_file: 'k', known_hosts_file: 'kh' } } });
    const r = parseConfigText(text, 'sluice.yaml');
    assert.ok(!r.ok);
    assert.deepEqual(r.problems.map((p) => `${p.file}:${p.line} ${p.path}: ${p.message}`), [
      `sluice.yaml:${lineOf(text, '"isolation"')} providers.local.isolation: isolation must be auto, bwrap or none`,
      `sluice.yaml:${lineOf(text, '"port"')} providers.pool.hosts[0].port: port must be a whole number`,
    ]);
  });
});

/** The TypeScript files under a folder of src/. */
function sourcesUnder(dir: string): string[] {
  return readdirSync(join(PROJECT_ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

describe('the composition root', () => {
  it('branches on no driver type: cli, engine and core make what the configuration names through the registry', () => {
    const types = [...DRIVERS.providers, ...DRIVERS.sources, ...DRIVERS.triggers].map((d) => d.type);
    const branch = new RegExp(`type\\s*[!=]==?\\s*'(${types.map((t) => t.replace(/[-]/g, '\\$&')).join('|')})'`);
    const found = ['src/cli', 'src/engine', 'src/core'].flatMap(sourcesUnder).flatMap((file) => readFileSync(file, 'utf8').split('\n')
      .flatMap((line, i) => (branch.test(line) ? [`${file.slice(PROJECT_ROOT.length + 1)}:${i + 1}: ${line.trim()}`] : [])));
    assert.deepEqual(found, []);
  });
});

function lineOf(text: string, needle: string): number {
  return text.slice(0, text.indexOf(needle)).split('\n').length;
}

/** A provider no one ships: nodes that greet, with a key of its own and roles of a multi-node job. */
const greeterDriver: ProviderDriver = {
  type: 'greeter',
  summary: 'nodes that greet',
  docs: 'docs/providers.md',
  configSchema: z.strictObject({ type: z.literal('greeter'), capacity: CAPACITY, greeting: z.string({ error: 'greeting must be text' }) }),
  capabilities: { multiNode: true, images: null, remoteDelivery: false },
  create(name, config): NodeProvider {
    const greeting = String(config.greeting);
    return { name, capacity: config.capacity, execute: async () => ({ result: 'success', reason: greeting, node: `${name}-1`, logPath: null }) };
  },
};

/** A trigger no one ships: its section is a top-level key named for its type. */
const bellDriver: TriggerDriver = {
  type: 'bell',
  summary: 'a bell',
  description: 'Runs start when the bell rings.',
  docs: 'docs/gerrit.md',
  configSchema: z.strictObject({ rings: z.int().min(1) }),
  capabilities: { trigger: true, reporter: false },
};

describe('a driver added to a registry', () => {
  const drivers: Drivers = { ...DRIVERS, providers: [...DRIVERS.providers, greeterDriver], triggers: [...DRIVERS.triggers, bellDriver] };
  const roles = { phase1: { nodes: { controller: { test: './a.sh' }, tempest: { test: './b.sh' } } } };

  it('is all a configuration needs to name it: its keys are checked by its schema, its capabilities allow roles', () => {
    const text = configText({ targets: { 'kilo/epel-7': { repo: 'https://example.org/kilo/el7/', provider: 'hello' } }, providers: { hello: { type: 'greeter', capacity: 3, greeting: 'hi' } }, pipelines: roles, bell: { rings: 2 } });
    const r = parseWith(text, 'sluice.yaml', drivers);
    assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
    assert.deepEqual(r.config.providers.hello, { type: 'greeter', capacity: 3, greeting: 'hi' });
    assert.deepEqual(r.config.triggers, { bell: { rings: 2 } });
    const bad = parseWith(text.replace('"greeting": "hi"', '"greeting": 7').replace('"rings": 2', '"rings": 0'), 'sluice.yaml', drivers);
    assert.ok(!bad.ok);
    assert.deepEqual(bad.problems.map((p) => `${p.line} ${p.path}: ${p.message}`), [
      `${lineOf(text, '"greeting"')} providers.hello.greeting: greeting must be text`,
      `${lineOf(text, '"rings"')} bell.rings: Too small: expected number to be >=1`,
    ]);
    // Sluice's own registry knows neither.
    const plain = parseConfigText(text, 'sluice.yaml');
    assert.ok(!plain.ok);
    assert.deepEqual(plain.problems.map((p) => p.path).sort(), ['bell', 'providers.hello.type']);
  });

  it('makes the provider the configuration names, through the driver', async (t) => {
    const text = configText({ targets: { 'kilo/epel-7': { repo: 'https://example.org/kilo/el7/', provider: 'hello' } }, providers: { hello: { type: 'greeter', greeting: 'hi' } } });
    const r = parseWith(text, 'sluice.yaml', drivers);
    assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
    const dir = tempDir(t);
    const site: ProviderSite = { workDir: join(dir, 'work'), configDir: dir, imagesDir: join(dir, 'images'), env: {}, targets: r.config.targets, note: () => {}, log: () => {} };
    const [made, ...rest] = makeProviders(drivers.providers, r.config.providers, site);
    assert.equal(rest.length, 0);
    assert.equal(made?.name, 'hello');
    assert.equal(made?.capacity, 2, 'the core\'s default capacity');
    const out = await made?.execute({ runId: 'r', jobId: 'r.kilo_epel-7', attempt: 1, updateFiles: [], signal: new AbortController().signal, spec: { pipeline: 'phase1', updateId: 'u', target: 'kilo/epel-7', provider: 'hello', builds: [], mode: 'provision', image: null, modeBecause: 'test', command: 'true', timeoutMs: 1000 } });
    assert.equal(out?.reason, 'hi');
  });

  it('is refused where a target uses a type the registry has no way to make', (t) => {
    const text = configText({ targets: { 'kilo/epel-7': { repo: 'https://example.org/kilo/el7/', provider: 'pool' } }, providers: { pool: { type: 'sim', capacity: 2 } } });
    const r = parseConfigText(text, 'sluice.yaml');
    assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
    const dir = tempDir(t);
    const site: ProviderSite = { workDir: join(dir, 'work'), configDir: dir, imagesDir: join(dir, 'images'), env: {}, targets: r.config.targets, note: () => {}, log: () => {} };
    assert.throws(() => makeProviders(DRIVERS.providers, r.config.providers, site), /^ProviderSetupError: provider "pool" has type sim, which this version cannot run yet \(only local, ssh and openstack\)$/);
  });
});
