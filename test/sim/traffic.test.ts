import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { planPhase1 } from '../../src/pipelines/phase1/plan.js';
import { parseTraffic, simulationConfig, syntheticBurst, updateFileFor, type Submission } from '../../src/sim/traffic.js';
import { parseUpdateBytes } from '../../src/core/update-file.js';
import { keyedRandom } from '../../src/sim/prng.js';
import { NO_SHARED, sharedPath } from '../helpers/paths.js';

const LINE = (o: object) => JSON.stringify(o);
const good = { id: '24hd', submitted: '2015-01-21T00:58:40+01:00', targets: ['icehouse/epel-6', 'kilo/el7'], packages: ['openstack-keystone'], builds: 2, final: 'pushed' };

function plan(sub: Submission, subs: readonly Submission[] = [sub]) {
  const parsed = parseUpdateBytes(new TextEncoder().encode(updateFileFor(sub)), `updates/${sub.id}.yml`);
  assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.problems));
  const config = simulationConfig(subs, { capacity: 2 });
  const p = planPhase1({ builds: parsed.update.builds, config, disabled: new Map(), images: new Map(Object.entries(config.targets).map(([t, c]) => [t, c.image ?? null])) });
  assert.ok(p.ok, JSON.stringify(!p.ok && p.issues));
  return p.jobs;
}

describe('traffic', () => {
  it('parses a line into a submission, sorted by time, skipping blank lines', () => {
    const later = { ...good, id: 'jao6', submitted: '2015-02-05T23:40:29+01:00' };
    const r = parseTraffic(`${LINE(later)}\n\n${LINE(good)}\n`, 't.jsonl');
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.submissions.map((s) => s.id), ['24hd', 'jao6']);
    assert.deepEqual(r.submissions[0], {
      id: '24hd', submittedAt: Date.UTC(2015, 0, 20, 23, 58, 40), targets: ['icehouse/epel-6', 'kilo/el7'], packages: ['openstack-keystone'], final: 'pushed',
    });
  });

  it('reports each bad line with its line and column, and keeps the good ones', () => {
    const text = [
      LINE(good),
      '{"id": "x", "submitted": ',
      LINE({ ...good, id: 'zz1', targets: ['kilo'] }),
      LINE({ ...good, id: 'zz2', submitted: 'yesterday' }),
      LINE(good),
      '[1, 2]',
    ].join('\n');
    const r = parseTraffic(text, 't.jsonl');
    assert.deepEqual(r.submissions.map((s) => s.id), ['24hd']);
    assert.deepEqual(r.problems.map((p) => [p.line, p.path]), [[2, ''], [3, 'targets'], [4, 'submitted'], [5, 'id'], [6, '']]);
    assert.match(r.problems[1]?.message ?? '', /release\/dist/);
    assert.equal(r.problems[1]?.col, LINE({ ...good, id: 'zz1', targets: ['kilo'] }).indexOf('"targets"') + 1);
    assert.match(r.problems[3]?.message ?? '', /appears twice/);
  });

  it('writes an update file the real parser accepts, folding dist aliases into targets', () => {
    const jobs = plan({ id: 'ab12', submittedAt: 0, targets: ['kilo/el7', 'kilo/f22'], packages: ['openstack-nova', 'python-novaclient'] });
    assert.deepEqual(jobs.map((j) => [j.target, j.builds.length, j.mode]), [['kilo/epel-7', 2, 'image'], ['kilo/fedora-22', 2, 'image']]);
    assert.equal(jobs[0]?.builds[0]?.id, 'openstack-nova-1.0-1.el7');
  });

  it('provisions an update that touches an installer package', () => {
    const jobs = plan({ id: 'ps01', submittedAt: 0, targets: ['juno/epel-7'], packages: ['openstack-packstack'] });
    assert.equal(jobs[0]?.mode, 'provision');
    assert.match(jobs[0]?.modeBecause ?? '', /openstack-packstack/);
  });

  it('makes the same burst for the same seed, in time order within the window', () => {
    const a = syntheticBurst({ count: 20, start: 1000, overMs: 86_400_000, targetsEach: 3 }, keyedRandom(7, 'burst'));
    const b = syntheticBurst({ count: 20, start: 1000, overMs: 86_400_000, targetsEach: 3 }, keyedRandom(7, 'burst'));
    assert.deepEqual(a, b);
    assert.equal(a.length, 20);
    for (const s of a) {
      assert.ok(s.submittedAt >= 1000 && s.submittedAt < 1000 + 86_400_000);
      assert.equal(new Set(s.targets).size, 3);
    }
    assert.deepEqual(a.map((s) => s.submittedAt), [...a.map((s) => s.submittedAt)].sort((x, y) => x - y));
    for (const s of a) plan(s, a);
  });

  const real = sharedPath('samples', 'rdo-traffic.jsonl');
  it('reads the real RDO traffic of 2015, and every update plans', { skip: real ? false : NO_SHARED }, () => {
    const r = parseTraffic(readFileSync(real!, 'utf8'), 'rdo-traffic.jsonl');
    assert.deepEqual(r.problems, []);
    assert.equal(r.submissions.length, 127);
    for (const s of r.submissions) plan(s, r.submissions);
  });
});
