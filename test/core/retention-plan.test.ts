import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBytes, parseByteSize } from '../../src/core/byte-size.js';
import { planRetention, type RetentionItem } from '../../src/core/retention-plan.js';

const DAY = 86_400_000;
const NOW = 100 * DAY;
const item = (id: string, ageDays: number, bytes: number, neededBy?: string): RetentionItem => ({
  kind: 'logs', id, bytes, files: 1, at: NOW - ageDays * DAY, ...(neededBy ? { neededBy } : {}),
});

test('max_age takes every item older than the limit, and nothing something needs', () => {
  const items = [item('old', 40, 10), item('older-needed', 50, 20, 'run r9 is unfinished'), item('young', 5, 30)];
  const plan = planRetention(items, { logs: { maxAgeMs: 30 * DAY } }, NOW);
  assert.deepEqual(plan.remove.map((r) => [r.item.id, r.because]), [['old', 'age']]);
  assert.deepEqual(plan.held.map((i) => i.id), ['older-needed']);
  const logs = plan.kinds.find((k) => k.kind === 'logs');
  assert.deepEqual([logs?.bytes, logs?.removeBytes, logs?.bytesAfter, logs?.heldItems], [60, 10, 50, 1]);
});

test('max_size takes the oldest first until the kind fits, counting what is held', () => {
  const items = [item('c', 3, 100), item('a', 9, 100), item('b', 6, 100, 'ready/x.yml'), item('d', 1, 100)];
  const plan = planRetention(items, { logs: { maxBytes: 250 } }, NOW);
  // a (oldest) goes; b is needed so c goes next; 200 bytes left fit.
  assert.deepEqual(plan.remove.map((r) => [r.item.id, r.because]), [['a', 'size'], ['c', 'size']]);
  assert.equal(plan.kinds.find((k) => k.kind === 'logs')?.bytesAfter, 200);
  assert.deepEqual(plan.held.map((i) => i.id), ['b']);
});

test('age first, then size; a kind without limits keeps everything; the order of the listing does not matter', () => {
  const items = [item('x', 40, 50), item('y', 20, 50), item('z', 10, 50), { ...item('b1', 400, 999), kind: 'builds' as const }];
  const forward = planRetention(items, { logs: { maxAgeMs: 30 * DAY, maxBytes: 60 } }, NOW);
  const backward = planRetention([...items].reverse(), { logs: { maxAgeMs: 30 * DAY, maxBytes: 60 } }, NOW);
  assert.deepEqual(forward.remove.map((r) => [r.item.id, r.because]), [['x', 'age'], ['y', 'size']]);
  assert.deepEqual(backward, forward);
  assert.equal(forward.kinds.find((k) => k.kind === 'builds')?.removeItems, 0);
});

test('everything needed over the limit stays, and is reported held', () => {
  const plan = planRetention([item('n1', 90, 500, 'current'), item('n2', 80, 500, 'rollback')], { logs: { maxAgeMs: DAY, maxBytes: 1 } }, NOW);
  assert.equal(plan.remove.length, 0);
  assert.equal(plan.held.length, 2);
  assert.equal(plan.kinds.find((k) => k.kind === 'logs')?.bytesAfter, 1000);
});

test('sizes read and print in binary and decimal units', () => {
  assert.equal(parseByteSize('20GiB'), 20 * 1024 ** 3);
  assert.equal(parseByteSize('1.5 MiB'), 1.5 * 1024 ** 2);
  assert.equal(parseByteSize('3GB'), 3e9);
  assert.equal(parseByteSize('12'), undefined);
  assert.equal(parseByteSize('5 parsecs'), undefined);
  assert.equal(formatBytes(1536), '1.50 KiB');
  assert.equal(formatBytes(17), '17 B');
});
