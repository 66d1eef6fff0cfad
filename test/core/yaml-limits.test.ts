import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { parseConfigText } from '../../src/drivers/registry.js';
import { parseUpdateBytes, parseUpdateText } from '../../src/core/update-file.js';
import { measureYaml } from '../../src/core/yaml-prescan.js';
import { DEFAULT_YAML_LIMITS } from '../../src/core/yaml-source.js';
import { assertEventLoopHeldUnder } from '../helpers/event-loop.js';

const MiB = 1024 * 1024;
const valid = 'notes: fix\nbuilds:\n  - id: openstack-nova-2014.1.4-2.el7\n    repo: icehouse\n    dist: epel-7\n';

/** The hostile shapes: each nests one level per few bytes, up to 1 MiB. */
const NESTED_SHAPES: Readonly<Record<string, string>> = {
  'flow sequences': '['.repeat(MiB - 16),
  'flow mappings': 'a: ' + '{a: '.repeat(MiB / 4 - 4),
  'compact block sequences': '- '.repeat(MiB / 2 - 8) + 'x\n',
  'block mappings': Array.from({ length: 1400 }, (_, i) => `${' '.repeat(i)}k:`).join('\n').slice(0, MiB - 16),
  // Invalid YAML that the parser's error recovery nests one level a line (found by fuzzing).
  'explicit keys after commas': ',|: ?\n'.repeat(MiB / 6 - 8),
  'flow sequences on new lines': '\n["s:'.repeat(MiB / 6 - 8),
};

describe('YAML nesting and size are bounded before parsing', () => {
  for (const [shape, text] of Object.entries(NESTED_SHAPES)) {
    it(`refuses 1 MiB of ${shape} with a position, holding the event loop well under 100 ms`, async () => {
      const r = await assertEventLoopHeldUnder(100, () => parseUpdateBytes(new TextEncoder().encode(text), 'updates/deep.yml'));
      assert.equal(r.ok, false);
      const p = r.ok ? undefined : r.problems[0];
      assert.equal(p?.code, 'E_YAML_TOO_DEEP', JSON.stringify(p));
      assert.ok(p.line >= 1 && p.col >= 1);
      assert.match(p.message, /more than 64 levels/);
    });
  }

  it('points at the bracket that went one level too deep', () => {
    const r = parseUpdateText(`notes: x\nbuilds: ${'['.repeat(70)}`, 'u.yml');
    assert.equal(r.ok, false);
    assert.deepEqual(r.ok ? undefined : [r.problems[0]?.line, r.problems[0]?.col], [2, 8 + 64]);
  });

  it('accepts 64 levels and refuses 65', () => {
    const nest = (n: number) => `${'['.repeat(n)}1${']'.repeat(n)}`;
    assert.equal(measureYaml(nest(64), DEFAULT_YAML_LIMITS).ok, true);
    assert.deepEqual(measureYaml(nest(65), DEFAULT_YAML_LIMITS), { ok: false, limit: 'depth', offset: 64 });
  });

  it('counts block levels by indentation, a sequence under its key at the same column included', () => {
    const text = 'a:\n- b:\n  - c:\n    - d: 1\ne: 2\n';
    const r = measureYaml(text, DEFAULT_YAML_LIMITS);
    assert.equal(r.ok && r.depth, 7);
    assert.equal(measureYaml(text, { ...DEFAULT_YAML_LIMITS, maxDepth: 6 }).ok, false);
  });

  it('does not count brackets in quotes, comments, block scalars or continued plain scalars', () => {
    const text = `notes: |\n  ${'['.repeat(100)}\nq: "${'{'.repeat(100)}"\n# ${'['.repeat(100)}\np: a\n  '${'['.repeat(100)}\n`;
    const r = measureYaml(text, DEFAULT_YAML_LIMITS);
    assert.equal(r.ok && r.depth, 1);
  });

  it('cannot be fooled by an apostrophe inside a plain scalar', () => {
    const text = `notes: don't\nbuilds: ${'['.repeat(100)}'\n`;
    assert.equal(measureYaml(text, DEFAULT_YAML_LIMITS).ok, false);
  });

  it('refuses a flat file of too many values, and one of too many lines, with their codes', () => {
    const values = parseUpdateText(`[${'1,'.repeat(400_000)}1]`, 'flat.yml');
    assert.deepEqual(values.ok ? undefined : [values.problems[0]?.code, values.problems[0]?.message], ['E_YAML_TOO_LARGE', 'the file has more than 10000 values and indicators']);
    const blank = parseUpdateText(`${'#\n'.repeat(400_000)}notes: x\n`, 'blank.yml');
    assert.deepEqual(blank.ok ? undefined : [blank.problems[0]?.line, blank.problems[0]?.message], [10_000, 'the file has more than 10000 lines']);
  });

  it('still accepts an ordinary update file and reads it the same', () => {
    const r = parseUpdateText(valid, 'updates/ok.yml');
    assert.equal(r.ok, true);
  });

  it('bounds sluice.yaml the same way', () => {
    const r = parseConfigText(`releases: ${'['.repeat(10_000)}`, 'sluice.yaml');
    assert.equal(r.ok ? undefined : r.problems[0]?.code, 'E_YAML_TOO_DEEP');
  });

  it('never counts fewer levels than the document has, however it is written', () => {
    const depthOf = (v: unknown): number => (typeof v === 'object' && v !== null
      ? 1 + Math.max(0, ...Object.values(v).map(depthOf)) : 0);
    const scalar = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.constantFrom('[', '{', "it's", '# x', '- x', 'a: b', 'line\n  [more'));
    const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'medium', maxDepth: 12 }, scalar, fc.array(tie('v'), { minLength: 1, maxLength: 3 }), fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), tie('v'), { minKeys: 1, maxKeys: 3 })),
    })).v;
    const style = fc.record({ indent: fc.integer({ min: 1, max: 4 }), indentSeq: fc.boolean(), collectionStyle: fc.constantFrom('any', 'block', 'flow') as fc.Arbitrary<'any' | 'block' | 'flow'>, flowCollectionPadding: fc.boolean() });
    fc.assert(fc.property(value, style, (v, o) => {
      const text = stringify(v, o);
      const r = measureYaml(text, DEFAULT_YAML_LIMITS);
      assert.ok(r.ok, text);
      assert.ok(r.depth >= depthOf(v), `counted ${r.depth} levels, the document has ${depthOf(v)}:\n${text}`);
    }), { seed: 20151104, numRuns: 500 });
  });
});
