import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfigText } from '../../src/drivers/registry.js';

const BASE = `releases: [kilo]
dists: { epel-7: {} }
targets: { kilo/epel-7: { repo: "https://example.org/kilo/el7/" } }
`;

test('ladder: scheduled by default; continuous, with a phase2 window of at most a day', () => {
  const plain = parseConfigText(BASE, 'sluice.yaml');
  assert.ok(plain.ok && plain.config.ladder === 'scheduled');
  const cont = parseConfigText(`${BASE}ladder: continuous\npipelines: { phase2: { window: 10m } }\n`, 'sluice.yaml');
  assert.ok(cont.ok, JSON.stringify(!cont.ok && cont.problems));
  assert.deepEqual([cont.config.ladder, cont.config.pipelines.phase2?.window], ['continuous', '10m']);
});

test('a bad ladder, a window too long or on another pipeline than phase2 is an error naming the line and field', () => {
  for (const [text, line, path, message] of [
    [`${BASE}ladder: eager\n`, 4, 'ladder', /ladder is scheduled or continuous/],
    [`${BASE}pipelines:\n  phase2: { window: 2d }\n`, 5, 'pipelines.phase2.window', /at most 1d/],
    [`${BASE}pipelines:\n  promote: { window: 5m }\n`, 5, 'pipelines.promote.window', /window is for phase2 only/],
  ] as const) {
    const r = parseConfigText(text, 'sluice.yaml');
    assert.ok(!r.ok, text);
    const p = r.problems[0]!;
    assert.deepEqual([p.file, p.line, p.path], ['sluice.yaml', line, path], JSON.stringify(r.problems));
    assert.match(p.message, message);
  }
});
