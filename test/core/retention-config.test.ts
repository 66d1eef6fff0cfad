import assert from 'node:assert/strict';
import { test } from 'node:test';
import { retentionLimitsOf } from '../../src/drivers/retention/index.js';
import { parseConfigText } from '../../src/drivers/registry.js';

const base = `releases: [kilo]
dists: { epel-7: {} }
targets: { kilo/epel-7: { repo: "https://example.org/kilo/el7/" } }
`;

test('retention: is read into milliseconds and bytes; absent, nothing has a limit', () => {
  const r = parseConfigText(`${base}retention:\n  schedule: "0 4 * * *"\n  logs: { max_age: 30d, max_size: 20GiB }\n  trees: { keep: 3 }\n`, 'sluice.yaml');
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  assert.deepEqual(retentionLimitsOf(r.config), { logs: { maxAgeMs: 30 * 86_400_000, maxBytes: 20 * 1024 ** 3 }, builds: {}, repositories: {}, trees: {}, images: {} });
  assert.equal(r.config.retention.trees.keep, 3);
  const none = parseConfigText(base, 'sluice.yaml');
  assert.ok(none.ok);
  assert.equal(none.config.retention.trees.keep, 2);
  assert.ok(Object.values(retentionLimitsOf(none.config)).every((l) => Object.keys(l).length === 0));
});

test('a bad retention value is refused with its line, key and the form expected', () => {
  const r = parseConfigText(`${base}retention:\n  logs: { max_size: 20 gigs }\n  builds: { max_age: a month }\n  images: { max_count: 3 }\n  schedule: "every night"\n`, 'sluice.yaml');
  assert.equal(r.ok, false);
  const problems = r.ok ? [] : r.problems.map((p) => `${p.line} ${p.path}: ${p.message}`);
  assert.ok(problems.some((p) => /^5 retention\.logs\.max_size: must be a size such as 500MiB, 20GiB/.test(p)), problems.join('\n'));
  assert.ok(problems.some((p) => /^6 retention\.builds\.max_age: must be a duration/.test(p)), problems.join('\n'));
  assert.ok(problems.some((p) => /^7 retention\.images(\.max_count)?: .*unknown key/.test(p)), problems.join('\n'));
  assert.ok(problems.some((p) => /^8 retention\.schedule: not a valid cron expression/.test(p)), problems.join('\n'));
});
