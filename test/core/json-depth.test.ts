import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonTooDeepAt, parseJsonBounded } from '../../src/core/json-depth.js';
import { parseTraffic } from '../../src/sim/traffic.js';

describe('JSON nesting is bounded before parsing', () => {
  it('finds the bracket that opens one level too many', () => {
    assert.equal(jsonTooDeepAt(`${'['.repeat(64)}${']'.repeat(64)}`), undefined);
    assert.equal(jsonTooDeepAt(`{"a":${'['.repeat(65)}`), 5 + 63);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ note: `"${'['.repeat(200)}\\`, more: '{'.repeat(200) });
    assert.equal(jsonTooDeepAt(text), undefined);
    assert.deepEqual(parseJsonBounded(text), { ok: true, value: JSON.parse(text) });
  });

  it('cannot be walked back below zero by stray closing brackets', () => {
    assert.equal(jsonTooDeepAt(`${']'.repeat(10)}${'['.repeat(65)}`), 10 + 64);
  });

  it('answers a message rather than throwing, for deep and for broken JSON', () => {
    assert.deepEqual(parseJsonBounded('['.repeat(1_000_000)), { ok: false, message: 'JSON nests more than 64 levels deep at character 65' });
    const broken = parseJsonBounded('{"a": ');
    assert.equal(broken.ok, false);
  });

  it('holds the traffic file of sluice simulate to the same bound, with the line and column', () => {
    const r = parseTraffic(`\n{"id": ${'['.repeat(100_000)}\n`, 'traffic.jsonl');
    const p = r.problems[0];
    assert.deepEqual([r.submissions.length, p?.line, p?.col, p?.message], [0, 2, 7 + 63 + 1, 'JSON nests more than 64 levels deep here']);
  });
});
