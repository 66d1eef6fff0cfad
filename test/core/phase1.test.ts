import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfigText } from '../../src/drivers/registry.js';
import { planPhase1 } from '../../src/pipelines/phase1/plan.js';
import { parseUpdateText } from '../../src/core/update-file.js';
import { collate, type ChildOutcome } from '../../src/core/verdicts.js';

const config = (() => {
  const r = parseConfigText(`releases: [kilo]
dists: { epel-7: { aliases: [el7] }, fedora-22: { aliases: [f22] } }
targets:
  kilo/epel-7: { repo: "https://example.org/el7/" }
  kilo/fedora-22: { repo: "https://example.org/f22/", pipelines: { phase1: { retries: 0, timeout: 10m } } }
must_provision: [openstack-packstack]
pipelines: { phase1: { test: ./smoke.sh, timeout: 1h, retries: 2 } }
`, 'sluice.yaml');
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  return r.config;
})();

const builds = (text: string) => { const r = parseUpdateText(`notes: x\nbuilds:\n${text}`, 'u.yml'); assert.ok(r.ok); return r.update.builds; };
const NOVA = '  - {id: openstack-nova-1-1.el7, repo: kilo, dist: el7}\n  - {id: openstack-nova-1-1.fc23, repo: kilo, dist: f22}\n';
const IMAGES = new Map([['kilo/epel-7', 'img-el7-42'], ['kilo/fedora-22', 'img-f22-7']]);

describe('phase1 plan', () => {
  it('plans one job per target, on its known-good image, with the pipeline policy', () => {
    const p = planPhase1({ builds: builds(NOVA), config, disabled: new Map(), images: IMAGES });
    assert.ok(p.ok);
    assert.deepEqual(p.jobs.map((j) => [j.target, j.mode, j.image, j.command, j.timeoutMs, j.maxAttempts, j.skip]), [
      ['kilo/epel-7', 'image', 'img-el7-42', './smoke.sh', 3_600_000, 3, null],
      ['kilo/fedora-22', 'image', 'img-f22-7', './smoke.sh', 600_000, 1, null],
    ]);
  });

  it('skips a disabled target and keeps its reason', () => {
    const p = planPhase1({ builds: builds(NOVA), config, disabled: new Map([['kilo/fedora-22', { target: 'kilo/fedora-22', reason: 'f22 repo broken', by: 'amoralej', since: 0, until: null }]]), images: IMAGES });
    assert.ok(p.ok);
    assert.equal(p.jobs[0]!.skip, null);
    assert.match(p.jobs[1]!.skip ?? '', /^f22 repo broken \(disabled by amoralej/);
  });

  it('provisions from scratch when the update touches a must-provision package or a scratch build', () => {
    const packstack = planPhase1({ builds: builds('  - {id: openstack-packstack-2015.1-1.el7, repo: kilo, dist: el7}\n'), config, disabled: new Map(), images: IMAGES });
    assert.ok(packstack.ok);
    assert.deepEqual([packstack.jobs[0]!.mode, packstack.jobs[0]!.image], ['provision', null]);
    assert.match(packstack.jobs[0]!.modeBecause, /must-provision package openstack-packstack/);
    const scratch = planPhase1({ builds: builds('  - {id: 10836884, source: koji-scratch, repo: kilo, dist: el7}\n'), config, disabled: new Map(), images: IMAGES });
    assert.ok(scratch.ok);
    assert.equal(scratch.jobs[0]!.mode, 'provision');
  });

  it('provisions a target that has no known-good image yet', () => {
    const p = planPhase1({ builds: builds(NOVA), config, disabled: new Map(), images: new Map([['kilo/epel-7', 'img-1']]) });
    assert.ok(p.ok);
    assert.deepEqual(p.jobs.map((j) => j.mode), ['image', 'provision']);
    assert.match(p.jobs[1]!.modeBecause, /no known-good image/);
  });

  it('refuses to plan an update naming an unknown target, saying so', () => {
    const p = planPhase1({ builds: builds('  - {id: a-1-1, repo: kilo, dist: el6}\n'), config, disabled: new Map(), images: IMAGES });
    assert.equal(p.ok, false);
    assert.ok(!p.ok && /unknown dist "el6"/.test(p.issues[0]!.message));
  });
});

describe('collation', () => {
  const c = (...pairs: [string, ChildOutcome['result']][]) => collate(pairs.map(([target, result]) => ({ target, result })));

  it('passes only when every child that ran passed', () => {
    assert.equal(c(['a', 'success'], ['b', 'success']).verdict, 'pass');
    assert.deepEqual(c(['a', 'success'], ['b', 'skipped']), { verdict: 'pass', because: 'passed on a; skipped b (disabled)' });
  });

  it('fails on any failure, even beside infra errors', () => {
    assert.equal(c(['a', 'failure'], ['b', 'infra'], ['c', 'success']).verdict, 'fail');
  });

  it('is an error, not a failure, when infra or timeout is left after retries', () => {
    assert.equal(c(['a', 'infra'], ['b', 'success']).verdict, 'error');
    assert.match(c(['a', 'timeout']).because, /a \(timeout\).*not blamed/);
  });

  it('holds an update whose targets are all disabled, and one with no target', () => {
    assert.equal(c(['a', 'skipped'], ['b', 'skipped']).verdict, 'held');
    assert.equal(c().verdict, 'held');
  });

  it('is cancelled when a child was cancelled and nothing failed', () => {
    assert.equal(c(['a', 'cancelled'], ['b', 'success']).verdict, 'cancelled');
  });
});
