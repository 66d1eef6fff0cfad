import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseConfigText } from '../../src/drivers/registry.js';
import { parseUpdateBytes, parseUpdateText } from '../../src/core/update-file.js';
import { stringify } from 'yaml';

/** Any input gives a valid value or positioned problems, never an exception. */
function assertWellFormed(r: { ok: boolean; problems?: readonly { line: number; col: number; file: string; message: string }[] }, file: string): void {
  if (r.ok) return;
  assert.ok(r.problems && r.problems.length > 0, 'a refusal must say why');
  for (const p of r.problems) {
    assert.equal(p.file, file);
    assert.ok(Number.isInteger(p.line) && p.line >= 1 && Number.isInteger(p.col) && p.col >= 1, JSON.stringify(p));
    assert.ok(p.message.length > 0);
  }
}

const yamlish = fc.stringMatching(/^[a-z:\-\n [\]{}&*!|>"'#0-9.]{0,120}$/);
const scalar = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constantFrom('kilo', 'el7', 'a-1-1', '../x', '$(id)', 'koji-scratch'));
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(fc.constantFrom('notes', 'builds', 'id', 'repo', 'dist', 'source', 'tag', 'arch', 'group', 'x'), tie('v'), { maxKeys: 5 })),
})).v;

describe('fuzzing the parsers', () => {
  it('update files: random bytes never throw', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => assertWellFormed(parseUpdateBytes(bytes, 'f.yml'), 'f.yml')), { numRuns: 500 });
  });

  it('update files: random YAML-ish text never throws', () => {
    fc.assert(fc.property(yamlish, (text) => assertWellFormed(parseUpdateText(text, 'f.yml'), 'f.yml')), { numRuns: 1000 });
  });

  it('update files: random structures never throw, and valid ones round-trip', () => {
    fc.assert(fc.property(value, (v) => {
      const r = parseUpdateText(stringify(v), 'f.yml');
      assertWellFormed(r, 'f.yml');
      if (r.ok) assert.ok(r.update.builds.length > 0 && r.update.notes.trim() !== '');
    }), { numRuns: 1000 });
  });

  it('update files: near-valid files with one field mutated get a problem at that build', () => {
    const build = fc.record({ id: fc.constantFrom('a-1-1', 'openstack-nova-2014.1.4-2.el7'), repo: fc.constant('kilo'), dist: fc.constant('el7') });
    fc.assert(fc.property(fc.array(build, { minLength: 1, maxLength: 5 }), fc.nat(), fc.constantFrom('id', 'repo', 'dist'), scalar, (builds, n, field, bad) => {
      const i = n % builds.length;
      const mutated = builds.map((b, j) => (j === i ? { ...b, [field]: bad } : b));
      const r = parseUpdateText(stringify({ notes: 'x', builds: mutated }), 'f.yml');
      assertWellFormed(r, 'f.yml');
      if (!r.ok) assert.ok(r.problems.some((p) => p.path.startsWith(`builds[${i}]`)), JSON.stringify(r.problems));
    }), { numRuns: 500 });
  });

  it('configuration: random structures and text never throw', () => {
    fc.assert(fc.property(fc.oneof(value.map((v) => stringify(v)), yamlish), (text) => assertWellFormed(parseConfigText(text, 'c.yaml'), 'c.yaml')), { numRuns: 1000 });
  });
});
