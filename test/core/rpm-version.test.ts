import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compareEVR, formatEVR, parseEVR, rpmvercmp } from '../../src/core/rpm-version.js';

/** Tricky pairs, with the answer rpm 4.18 gives (kept so the table also runs without rpm). */
const PAIRS: readonly (readonly [string, string, -1 | 0 | 1])[] = [
  ['1.0', '1.0.0', -1], ['1.0a', '1.0.a', 0], ['2.0~rc1', '2.0', -1], ['1.0^git1', '1.0', 1],
  ['1:1.0', '2.0', 1], ['10', '9', 1], ['1.0-1.el7', '1.0-1.el7_1', -1], ['1.0.el7', '1.0.el7_1', -1],
  ['1.0~rc1', '1.0~rc2', -1], ['1.0~rc1', '1.0~', 1], ['1.0^', '1.0', 1], ['1.0^git1', '1.0.1', -1],
  ['1.0^git1', '1.0^git2', -1], ['1.0^git1~pre', '1.0^git1', -1], ['1.0~rc1^git1', '1.0~rc1', 1],
  ['a', '1', -1], ['1.0a', '1.0', 1], ['1.0', '1.0b', -1], ['001', '1', 0], ['1.001', '1.1', 0],
  ['1.0.', '1.0', 0], ['1_0', '1.0', 0], ['2015.1.2', '2015.1.10', -1], ['1.0', '1.0-1', -1],
  ['0:1.0-1', '1.0-1', 0], ['2:0.1-1', '1:9.9-9', 1], ['1.0-1', '1.0-1.1', -1], ['abc', 'abd', -1],
  ['1.0rc1', '1.0', 1], ['1.0-0.1.rc1', '1.0-1', -1], ['12345678901234567890', '12345678901234567891', -1],
];

const compare = (a: string, b: string) => compareEVR(parseEVR(a), parseEVR(b));

/** rpm's own answers for pairs, in one run of its Lua interpreter (the strings hold no quote). */
function rpmAnswers(pairs: readonly (readonly [string, string, ...unknown[]])[]): number[] | undefined {
  if (spawnSync('sh', ['-c', 'command -v rpm']).status !== 0) return undefined;
  const quote = (s: string) => `"${s}"`;
  const calls = pairs.map(([a, b]) => `print(rpm.vercmp(${quote(a)}, ${quote(b)}) .. "\\n")`).join(' ');
  const out = execFileSync('rpm', ['--eval', `%{lua: ${calls}}`], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.trim() !== '').map(Number);
}

describe('rpm version comparison', () => {
  it('orders every tricky pair as the table says', () => {
    for (const [a, b, want] of PAIRS) {
      assert.equal(compare(a, b), want, `${a} vs ${b}`);
      assert.equal(compare(b, a), -want || 0, `${b} vs ${a}`);
    }
  });

  it('agrees with rpm itself on every pair', (t) => {
    const answers = rpmAnswers(PAIRS);
    if (!answers) return t.skip('rpm is not installed');
    assert.equal(answers.length, PAIRS.length);
    PAIRS.forEach(([a, b], i) => assert.equal(compare(a, b), answers[i], `${a} vs ${b}: rpm says ${answers[i]}`));
  });

  it('agrees with rpm itself on 500 random versions', (t) => {
    const part = fc.stringMatching(/^[0-9a-c.~^_]{1,6}$/);
    const pairs = fc.sample(fc.tuple(part, part), { numRuns: 500, seed: 42 });
    const answers = rpmAnswers(pairs);
    if (!answers) return t.skip('rpm is not installed');
    assert.equal(answers.length, pairs.length);
    pairs.forEach(([a, b], i) => assert.equal(rpmvercmp(a, b), answers[i], `${a} vs ${b}: rpm says ${answers[i]}`));
  });

  it('is antisymmetric and reflexive on arbitrary version strings', () => {
    const part = fc.stringMatching(/^[0-9a-z.~^_+]{0,8}$/);
    fc.assert(fc.property(part, part, (a, b) => {
      assert.equal(rpmvercmp(a, a), 0);
      assert.equal(rpmvercmp(a, b), -rpmvercmp(b, a) || 0);
    }));
  });

  it('reads and writes epoch:version-release', () => {
    assert.deepEqual(parseEVR('3:1.2-4.el7'), { epoch: 3, version: '1.2', release: '4.el7' });
    assert.deepEqual(parseEVR('1.2'), { epoch: 0, version: '1.2', release: '' });
    assert.deepEqual(parseEVR('1.2-3-4'), { epoch: 0, version: '1.2-3', release: '4' });
    assert.equal(formatEVR(parseEVR('1.0-1')), '0:1.0-1');
  });
});
