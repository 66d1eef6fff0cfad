import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalDist, pipelineFor, type ConfigParse } from '../../src/core/config.js';
import { parseConfigText } from '../../src/drivers/registry.js';
import { updateTargets } from '../../src/core/update-targets.js';
import { parseUpdateText } from '../../src/core/update-file.js';
import { STARTER_CONFIG } from '../../src/cli/init-template.js';

const base = `releases: [juno, kilo]
dists:
  epel-7: { aliases: [el7] }
  fedora-22: { aliases: [f22] }
targets:
  kilo/epel-7: { repo: "https://example.org/kilo/el7/" }
  kilo/fedora-22: { repo: "https://example.org/kilo/f22/", pipelines: { phase1: { test: ./f22.sh, timeout: 30m } } }
  juno/epel-7: { repo: "https://example.org/juno/el7/" }
pipelines:
  phase1: { test: ./smoke.sh }
`;

function errors(r: ConfigParse) {
  assert.equal(r.ok, false, 'expected the config to be refused');
  return r.ok ? [] : r.problems;
}

describe('configuration', () => {
  it('accepts the starter config that sluice init writes', () => {
    const r = parseConfigText(STARTER_CONFIG, 'sluice.yaml');
    assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  });

  it('fills defaults: local provider, store, pipeline timeout and retries', () => {
    const r = parseConfigText(base, 'sluice.yaml');
    assert.ok(r.ok);
    assert.deepEqual(r.config.providers, { local: { type: 'local', capacity: 2 } });
    assert.equal(r.config.store, 'sqlite:.sluice/sluice.db');
    assert.equal(r.config.targets['kilo/epel-7']!.provider, 'local');
    const nodeDefaults = { repo_gpgcheck: false, collect: [], collect_max_mb: 50, base: 'production', infer_dependencies: true };
    assert.deepEqual(pipelineFor(r.config, 'kilo/epel-7', 'phase1'), { checks: [], test: './smoke.sh', timeout: '2h', retries: 2, timeoutMs: 7_200_000, ...nodeDefaults });
    assert.deepEqual(pipelineFor(r.config, 'kilo/fedora-22', 'phase1'), { checks: [], test: './f22.sh', timeout: '30m', retries: 2, timeoutMs: 1_800_000, ...nodeDefaults });
  });

  it('maps dist aliases to canonical names', () => {
    const r = parseConfigText(base, 'sluice.yaml');
    assert.ok(r.ok);
    assert.equal(canonicalDist(r.config, 'el7'), 'epel-7');
    assert.equal(canonicalDist(r.config, 'epel-7'), 'epel-7');
    assert.equal(canonicalDist(r.config, 'f23'), undefined);
  });

  it('refuses unknown keys with their position (a typo must not pass silently)', () => {
    const [p, ...rest] = errors(parseConfigText(`${base}must_provison: [openstack-packstack]\n`, 'sluice.yaml'));
    assert.equal(rest.length, 0);
    assert.deepEqual([p!.line, p!.col, p!.path], [11, 1, 'must_provison']);
    assert.match(p!.message, /unknown key/);
  });

  it('refuses targets naming unknown releases, dists, aliases or providers', () => {
    const text = `${base}  liberty/epel-7: { repo: "https://example.org/l/" }\n  kilo/el7: { repo: "https://example.org/k/" }\n  kilo/epel-6: { repo: "https://example.org/k6/", provider: cloud }\n  kilo: { repo: "https://example.org/k/" }\n`
      .replace('pipelines:\n  phase1: { test: ./smoke.sh }\n', '') + 'pipelines: {}\n';
    const ps = errors(parseConfigText(text.replace(/pipelines: \{\}\n$/, ''), 'sluice.yaml'));
    const msgs = ps.map((p) => `${p.line}:${p.message}`);
    assert.ok(msgs.some((m) => /^9:release "liberty"/.test(m)), msgs.join('\n'));
    assert.ok(msgs.some((m) => /^10:use the canonical dist name: kilo\/epel-7/.test(m)), msgs.join('\n'));
    assert.ok(msgs.some((m) => /^11:dist "epel-6" is not in dists/.test(m)), msgs.join('\n'));
    assert.ok(msgs.some((m) => /^11:provider "cloud"/.test(m)), msgs.join('\n'));
    assert.ok(msgs.some((m) => /^12:a target is named release\/dist/.test(m)), msgs.join('\n'));
  });

  it('refuses an alias that names two dists', () => {
    const ps = errors(parseConfigText(base.replace('fedora-22: { aliases: [f22] }', 'fedora-22: { aliases: [f22, el7] }'), 'sluice.yaml'));
    assert.equal(ps.length, 1);
    assert.match(ps[0]!.message, /"el7" already names dist epel-7/);
    assert.equal(ps[0]!.line, 4);
  });

  it('validates durations, cron schedules, URLs and capacities', () => {
    const cases: [string, RegExp][] = [
      [`${base}schedules: { phase2: "61 3 * * *" }\n`, /cron/],
      [base.replace('test: ./smoke.sh', 'test: ./smoke.sh, timeout: soon'), /duration/],
      [base.replace('"https://example.org/juno/el7/"', '"ftp://x/"'), /URL/],
      [`${base}providers: { local: { type: local, capacity: 0 } }\n`, /too small|>=1|at least/i],
      [`${base}providers: { cloud: { type: aws } }\n`, /provider type/],
    ];
    for (const [text, re] of cases) {
      const ps = errors(parseConfigText(text, 'sluice.yaml'));
      assert.ok(ps.some((p) => re.test(p.message)), `${re}: ${JSON.stringify(ps)}`);
      assert.ok(ps.every((p) => p.line > 0 && p.col > 0));
    }
  });
});

describe('multi-node jobs (nodes:)', () => {
  const roles = 'nodes: { controller: { test: ./packstack.sh }, tempest: { test: ./tempest.sh } }';
  const ssh = 'providers: { local: { type: ssh, hosts: [{ host: n1, user: u }], key_file: k, known_hosts_file: h } }\n';
  it('takes roles on an ssh provider, and a target\'s own test replaces the pipeline\'s roles', () => {
    const r = parseConfigText(`${base.replace('phase1: { test: ./smoke.sh }', `phase1: { ${roles} }`)}${ssh}`, 'sluice.yaml');
    assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
    assert.deepEqual(Object.keys(pipelineFor(r.config, 'kilo/epel-7', 'phase1').nodes ?? {}), ['controller', 'tempest']);
    const own = pipelineFor(r.config, 'kilo/fedora-22', 'phase1');
    assert.equal(own.nodes, undefined);
    assert.equal(own.test, './f22.sh');
  });
  it('refuses roles where the provider runs one node per job, roles beside test, one role, and bad role names', () => {
    const onLocal = errors(parseConfigText(base.replace('phase1: { test: ./smoke.sh }', `phase1: { ${roles} }`), 'sluice.yaml'));
    assert.match(onLocal.map((p) => p.message).join('\n'), /kilo\/epel-7 runs on provider "local" \(local\), which runs one node per job: multi-node jobs need an ssh or openstack provider/);
    const both = errors(parseConfigText(`${base.replace('phase1: { test: ./smoke.sh }', `phase1: { test: ./smoke.sh, ${roles} }`)}${ssh}`, 'sluice.yaml'));
    assert.match(both[0]!.message, /either test \(one node\) or nodes/);
    const one = errors(parseConfigText(`${base.replace('phase1: { test: ./smoke.sh }', 'phase1: { nodes: { controller: { test: ./x } } }')}${ssh}`, 'sluice.yaml'));
    assert.match(one[0]!.message, /2 to 4 roles/);
    const name = errors(parseConfigText(`${base.replace('phase1: { test: ./smoke.sh }', 'phase1: { nodes: { Controller: { test: ./x }, b: { test: ./y } } }')}${ssh}`, 'sluice.yaml'));
    assert.match(name[0]!.message, /a role is a lowercase name/);
  });
});

describe('update targets against the configuration', () => {
  const config = (() => { const r = parseConfigText(base, 'sluice.yaml'); assert.ok(r.ok); return r.config; })();
  const update = (text: string) => { const r = parseUpdateText(text, 'u.yml'); assert.ok(r.ok); return r.update; };

  it('groups builds by canonical target, aliases included', () => {
    const u = update('notes: x\nbuilds:\n  - {id: a-1-1.el7, repo: kilo, dist: el7}\n  - {id: a-1-1.fc22, repo: kilo, dist: f22}\n  - {id: b-1-1.el7, repo: kilo, dist: epel-7}\n');
    const r = updateTargets(u.builds, config, new Map());
    assert.deepEqual(r.issues, []);
    assert.deepEqual([...r.targets.keys()], ['kilo/epel-7', 'kilo/fedora-22']);
    assert.equal(r.targets.get('kilo/epel-7')!.length, 2);
  });

  it('says which release, dist or pair is not supported', () => {
    const u = update('notes: x\nbuilds:\n  - {id: a-1-1, repo: icehouse, dist: el7}\n  - {id: a-1-1, repo: kilo, dist: el6}\n  - {id: a-1-1, repo: juno, dist: f22}\n');
    const r = updateTargets(u.builds, config, new Map());
    assert.deepEqual(r.issues.map((i) => [i.code, i.path.join('.')]), [
      ['E_RELEASE_UNKNOWN', 'builds.0.repo'], ['E_DIST_UNKNOWN', 'builds.1.dist'], ['E_TARGET_UNKNOWN', 'builds.2.dist'],
    ]);
    assert.match(r.issues[2]!.message, /juno targets: juno\/epel-7/);
    assert.equal(r.targets.size, 0);
  });

  it('warns once about a disabled target, with its reason, and keeps it', () => {
    const u = update('notes: x\nbuilds:\n  - {id: a-1-1, repo: kilo, dist: el7}\n  - {id: b-1-1, repo: kilo, dist: el7}\n');
    const r = updateTargets(u.builds, config, new Map([['kilo/epel-7', { target: 'kilo/epel-7', reason: 'mirror broken', by: 'apevec', since: 0, until: null }]]));
    assert.equal(r.issues.length, 1);
    assert.equal(r.issues[0]!.severity, 'warning');
    assert.match(r.issues[0]!.message, /mirror broken \(disabled by apevec since 1970-01-01T00:00:00.000Z\)/);
    assert.ok(r.targets.has('kilo/epel-7'));
  });
});
