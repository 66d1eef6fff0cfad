import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseUpdateBytes, parseUpdateText, updateIdFromPath, type UpdateParse } from '../../src/core/update-file.js';
import { NO_SHARED, sharedPath } from '../helpers/paths.js';

const enc = new TextEncoder();

function problemsOf(r: UpdateParse) {
  assert.equal(r.ok, false, 'expected the file to be refused');
  return r.ok ? [] : r.problems;
}

function only(r: UpdateParse) {
  const errors = problemsOf(r).filter((p) => p.severity === 'error');
  assert.equal(errors.length, 1, `expected one error, got ${JSON.stringify(errors, null, 1)}`);
  return errors[0]!;
}

const valid = (extra = '') => `notes: fix\nbuilds:\n  - id: openstack-nova-2014.1.4-2.el7\n    repo: icehouse\n    dist: epel-7\n${extra}`;

describe('real update files', () => {
  const samples = sharedPath('samples', 'rdo-update');
  const history = sharedPath('samples', 'rdo-update-history');

  it('accepts all six files of the sample repository', { skip: samples ? false : NO_SHARED }, () => {
    const files = ['updates', 'pushed', 'failed'].flatMap((d) =>
      readdirSync(join(samples!, d)).filter((f) => f.endsWith('.yml')).map((f) => join(samples!, d, f)));
    assert.equal(files.length, 6);
    for (const f of files) {
      const r = parseUpdateBytes(readFileSync(f), f);
      assert.ok(r.ok, `${f}: ${JSON.stringify(!r.ok && r.problems)}`);
      assert.deepEqual(r.warnings, []);
    }
  });

  it('accepts all 149 versions in the history of the real repository', { skip: history ? false : NO_SHARED }, () => {
    const files = readdirSync(history!).filter((f) => f.endsWith('.yml'));
    assert.equal(files.length, 149);
    for (const f of files) {
      const r = parseUpdateBytes(readFileSync(join(history!, f)), f);
      assert.ok(r.ok, `${f}: ${JSON.stringify(!r.ok && r.problems)}`);
    }
  });

  it('reads a koji-scratch id as the task number YAML gives', { skip: samples ? false : NO_SHARED }, () => {
    const f = join(samples!, 'updates', 'fwhd.yml');
    const r = parseUpdateBytes(readFileSync(f), f);
    assert.ok(r.ok);
    assert.equal(r.update.builds[0]!.id, 10836884);
    assert.equal(r.update.builds[0]!.source, 'koji-scratch');
    assert.equal(r.update.id, 'fwhd');
    assert.equal(r.update.notes, 'Make OPM own its directories\nFixes rhbz#1163363');
  });
});

describe('update file rules', () => {
  it('defaults source to koji and arch to noarch, keeps tag', () => {
    const r = parseUpdateText(valid('    tag: temp-liberty\n'), 'updates/abcd.yml');
    assert.ok(r.ok);
    assert.deepEqual(r.update.builds[0], { id: 'openstack-nova-2014.1.4-2.el7', repo: 'icehouse', dist: 'epel-7', source: 'koji', arch: 'noarch', tag: 'temp-liberty' });
    assert.equal(r.update.id, 'abcd');
    assert.equal(r.update.summary, 'icehouse_epel-7');
  });

  it('requires notes, and refuses empty or blank notes', () => {
    assert.match(only(parseUpdateText('builds:\n  - {id: a-1-1, repo: kilo, dist: el7}\n', 'x.yml')).message, /notes is required/);
    const empty = only(parseUpdateText('notes:\nbuilds:\n  - {id: a-1-1, repo: kilo, dist: el7}\n', 'x.yml'));
    assert.equal(empty.path, 'notes');
    assert.match(empty.message, /notes is empty/);
    const blank = only(parseUpdateText('notes: "   "\nbuilds:\n  - {id: a-1-1, repo: kilo, dist: el7}\n', 'x.yml'));
    assert.match(blank.message, /must not be empty/);
    assert.deepEqual([blank.line, blank.col], [1, 8]);
  });

  it('requires a non-empty list of builds', () => {
    assert.match(only(parseUpdateText('notes: x\n', 'x.yml')).message, /builds is required/);
    assert.match(only(parseUpdateText('notes: x\nbuilds: []\n', 'x.yml')).message, /at least one build/);
    assert.match(only(parseUpdateText('notes: x\nbuilds: nope\n', 'x.yml')).message, /list of builds/);
    const item = only(parseUpdateText('notes: x\nbuilds:\n  - 3\n', 'x.yml'));
    assert.equal(item.path, 'builds[0]');
    assert.deepEqual([item.line, item.col], [3, 5]);
  });

  it('reports a missing build field at the build that lacks it', () => {
    const p = only(parseUpdateText('notes: x\nbuilds:\n  - id: a-1-1\n    repo: kilo\n', 'u.yml'));
    assert.deepEqual({ path: p.path, line: p.line, col: p.col, file: p.file }, { path: 'builds[0].dist', line: 3, col: 5, file: 'u.yml' });
    assert.match(p.message, /dist is required/);
  });

  it('accepts an integer id only for koji-scratch', () => {
    const p = only(parseUpdateText('notes: x\nbuilds:\n  - id: 123\n    repo: kilo\n    dist: el7\n', 'u.yml'));
    assert.equal(p.path, 'builds[0].id');
    assert.match(p.message, /koji-scratch/);
    assert.ok(parseUpdateText('notes: x\nbuilds:\n  - id: 123\n    source: koji-scratch\n    repo: kilo\n    dist: el7\n', 'u.yml').ok);
    assert.match(only(parseUpdateText('notes: x\nbuilds:\n  - id: abc-1-1\n    source: koji-scratch\n    repo: kilo\n    dist: el7\n', 'u.yml')).message, /task number/);
    assert.match(only(parseUpdateText('notes: x\nbuilds:\n  - id: "123"\n    repo: kilo\n    dist: el7\n', 'u.yml')).message, /task number: that needs source: koji-scratch/);
  });

  it('refuses ids and names with shell metacharacters or path traversal', () => {
    const hostile = ['"$(rm -rf /)-1-1"', '"a-1-1; reboot"', '"../../etc-1-1"', '"a-1-1`id`"', '"a-1-1\\nb"', '"-rf-1-1"', '"a-..-1"', '"a b-1-1"'];
    for (const id of hostile) {
      const p = only(parseUpdateText(`notes: x\nbuilds:\n  - id: ${id}\n    repo: kilo\n    dist: el7\n`, 'u.yml'));
      assert.equal(p.path, 'builds[0].id', id);
    }
    for (const [field, value] of [['repo', '../kilo'], ['dist', 'el7/../../x'], ['tag', '..'], ['source', '$(x)'], ['repo', 'a_b']] as const) {
      const text = `notes: x\nbuilds:\n  - id: a-1-1\n    repo: ${field === 'repo' ? `"${value}"` : 'kilo'}\n    dist: ${field === 'dist' ? `"${value}"` : 'el7'}\n${field === 'tag' || field === 'source' ? `    ${field}: "${value}"\n` : ''}`;
      assert.equal(only(parseUpdateText(text, 'u.yml')).path, `builds[0].${field}`, `${field}=${value}`);
    }
  });

  it('checks arch as a comma-separated list of known architectures', () => {
    assert.ok(parseUpdateText(valid('    arch: "noarch, x86_64"\n'), 'u.yml').ok);
    const p = only(parseUpdateText(valid('    arch: noarch, lolilol, src\n'), 'u.yml'));
    assert.equal(p.path, 'builds[0].arch');
  });

  it('warns about unknown keys and still accepts the file', () => {
    const r = parseUpdateText('notes: x\ncomment: old\nbuilds:\n  - id: a-1-1\n    repo: kilo\n    dist: el7\n    dsit: f22\n', 'u.yml');
    assert.ok(r.ok);
    assert.deepEqual(r.warnings.map((w) => [w.path, w.line, w.col, w.severity]), [['comment', 2, 1, 'warning'], ['builds[0].dsit', 7, 5, 'warning']]);
  });

  it('accepts an optional group naming a folder, refuses one with a slash', () => {
    assert.ok(parseUpdateText(`group: batch1\n${valid()}`, 'u.yml').ok);
    assert.equal(only(parseUpdateText(`group: a/b\n${valid()}`, 'u.yml')).path, 'group');
    assert.match(only(parseUpdateText(`group: pushed\n${valid()}`, 'u.yml')).message, /must not name updates, pushed or failed/);
  });

  it('names the update after its file', () => {
    assert.equal(updateIdFromPath('updates/hkvc.yml'), 'hkvc');
    assert.equal(updateIdFromPath('-'), undefined);
    assert.equal(updateIdFromPath('dir/x y.yml'), undefined);
  });
});

describe('hostile and broken files', () => {
  it('refuses an empty file and a file of only comments', () => {
    assert.equal(only(parseUpdateText('', 'e.yml')).code, 'E_EMPTY');
    assert.equal(only(parseUpdateText('# nothing\n', 'e.yml')).code, 'E_EMPTY');
  });

  it('reports YAML syntax errors with their position', () => {
    const problems = problemsOf(parseUpdateText('notes: x\nbuilds: [\n  - id\n', 's.yml'));
    assert.ok(problems.every((p) => p.code === 'E_YAML_SYNTAX'));
    assert.deepEqual([problems[0]!.line, problems[0]!.col], [3, 3]);
  });

  it('stops an alias bomb without expanding it', () => {
    const bomb = ['a: &a [x,x,x,x,x,x,x,x,x,x]', ...Array.from({ length: 8 }, (_, i) =>
      `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n');
    const p = only(parseUpdateText(bomb, 'bomb.yml'));
    assert.equal(p.code, 'E_YAML_ALIASES');
    assert.equal(p.line, 2);
  });

  it('refuses duplicate keys, including a second builds:', () => {
    const p = only(parseUpdateText(`${valid()}builds:\n  - {id: b-1-1, repo: kilo, dist: el7}\n`, 'd.yml'));
    assert.equal(p.line, 6);
    assert.match(p.message, /twice/);
  });

  it('refuses several documents and custom tags', () => {
    assert.match(only(parseUpdateText(`${valid()}---\nnotes: y\n`, 'm.yml')).message, /more than one YAML document/);
    const tagged = problemsOf(parseUpdateText('notes: !!python/object/apply:os.system ["id"]\nbuilds: []\n', 't.yml'));
    assert.ok(tagged.some((p) => /tag/i.test(p.message) && p.line === 1));
  });

  it('refuses 1 MB of notes with a positioned error', () => {
    const p = only(parseUpdateText(`notes: "${'x'.repeat(1_000_000)}"\nbuilds:\n  - {id: a-1-1, repo: kilo, dist: el7}\n`, 'big.yml'));
    assert.equal(p.path, 'notes');
    assert.deepEqual([p.line, p.col], [1, 8]);
  });

  it('refuses files over the size limit before parsing', () => {
    assert.equal(only(parseUpdateBytes(new Uint8Array(2 * 1024 * 1024).fill(0x20), 'huge.yml')).code, 'E_FILE_TOO_LARGE');
  });

  it('names the line and column of a byte that is not UTF-8', () => {
    const bytes = new Uint8Array([...enc.encode('notes: ok\nbuilds:\n  - id: caf'), 0xe9, ...enc.encode('-1-1\n')]);
    const p = only(parseUpdateBytes(bytes, 'latin1.yml'));
    assert.deepEqual([p.code, p.line, p.col], ['E_NOT_UTF8', 3, 12]);
  });

  it('accepts multi-byte UTF-8 and a byte-order mark', () => {
    const r = parseUpdateBytes(new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode(valid().replace('fix', 'Ünïcödé ✓ 𝄞'))]), 'u.yml');
    assert.ok(r.ok);
    assert.equal(r.update.notes, 'Ünïcödé ✓ 𝄞');
  });

  it('refuses a root that is not a mapping', () => {
    assert.match(only(parseUpdateText('- a\n- b\n', 'l.yml')).message, /mapping/);
    assert.match(only(parseUpdateText('just text\n', 'l.yml')).message, /mapping/);
  });
});
