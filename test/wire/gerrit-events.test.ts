import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseEventLine, SUBSCRIBED_TYPES, type GerritAccount, type GerritEvent } from '../../src/drivers/gerrit/events.js';
import { NO_SHARED, sharedPath } from '../helpers/paths.js';

/**
 * Every stream-events event captured from real Gerrit servers (../shared/wire/gerrit:
 * Wikimedia's current Gerrit, Qt's Gerrit 2.x) parses to the change, patch set, branch,
 * author and comment the event names, read here straight from its JSON; every type Sluice
 * does not subscribe to parses to nothing.
 */

const ARRIVED_AT = Date.UTC(2026, 0, 2, 3, 4, 5);

type Raw = Record<string, unknown>;
const rec = (v: unknown): Raw => (typeof v === 'object' && v !== null ? (v as Raw) : {});

/** The source files' events, each as the line stream-events printed (or a webhook body). */
function capturedEvents(dir: string): { from: string; line: string }[] {
  const out: { from: string; line: string }[] = [];
  for (const name of readdirSync(join(dir, 'wikibugs')).filter((n) => n.endsWith('.json')).sort()) {
    const events = JSON.parse(readFileSync(join(dir, 'wikibugs', name), 'utf8')) as unknown[];
    events.forEach((e, i) => out.push({ from: `wikibugs/${name}[${i}]`, line: JSON.stringify(e) }));
  }
  readFileSync(join(dir, 'qt', 'events.jsonl'), 'utf8').split('\n').forEach((line, i) => {
    if (line.trim() !== '') out.push({ from: `qt/events.jsonl:${i + 1}`, line });
  });
  return out;
}

function expectedAccount(raw: unknown): GerritAccount {
  const a = rec(raw);
  const text = (k: string) => (typeof a[k] === 'string' && a[k] !== '' ? { [k]: a[k] as string } : {});
  return { ...text('name'), ...text('email'), ...text('username'), ...(typeof a._account_id === 'number' ? { accountId: a._account_id } : {}) };
}

/** What the event says, read without Sluice's parser. */
function expected(raw: Raw): GerritEvent | undefined {
  if (!(SUBSCRIBED_TYPES as readonly string[]).includes(String(raw.type))) return undefined;
  const created = typeof raw.eventCreatedOn === 'number' ? raw.eventCreatedOn * 1000 : undefined;
  if (raw.type === 'ref-updated') {
    const u = rec(raw.refUpdate);
    return { kind: 'ref', project: String(u.project), refName: String(u.refName), newRev: String(u.newRev), at: created ?? ARRIVED_AT };
  }
  const c = rec(raw.change);
  const ps = rec(raw.patchSet);
  const ref = { project: String(c.project), branch: String(c.branch), change: Number(c.number) };
  switch (raw.type) {
    case 'patchset-created':
      return { ...ref, kind: 'patchset', patchset: Number(ps.number), revision: String(ps.revision), at: created ?? (typeof ps.createdOn === 'number' ? ps.createdOn * 1000 : ARRIVED_AT) };
    case 'comment-added':
      // A patch set's createdOn is not the comment's time: without eventCreatedOn, the arrival is.
      return { ...ref, kind: 'comment', patchset: Number(ps.number), author: expectedAccount(raw.author), text: String(raw.comment), at: created ?? ARRIVED_AT };
    case 'topic-changed':
      return { ...ref, kind: 'topic', at: created ?? ARRIVED_AT };
    default:
      return { ...ref, kind: 'closed', how: raw.type === 'change-merged' ? 'merged' : 'abandoned', at: created ?? ARRIVED_AT };
  }
}

test('every captured Gerrit event parses to the change, patch set, branch, author and comment it names', (t) => {
  const dir = sharedPath('wire', 'gerrit');
  if (!dir) return t.skip(NO_SHARED);
  const events = capturedEvents(dir);
  const seen = new Map<string, number>();
  for (const { from, line } of events) {
    const raw = JSON.parse(line) as Raw;
    const got = parseEventLine(line, ARRIVED_AT);
    assert.deepEqual(got, expected(raw), `${from} (${String(raw.type)})`);
    if (got) {
      const key = `${from.split('/')[0]} ${got.kind}${'eventCreatedOn' in raw ? '' : ' (no eventCreatedOn)'}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
  }
  // The samples hold what the parser must cope with: both servers' patch sets, comments,
  // merges and ref updates, and Qt's events without a time, whose numbers are strings.
  for (const kind of ['wikibugs patchset', 'wikibugs comment', 'wikibugs closed', 'wikibugs ref', 'qt patchset (no eventCreatedOn)', 'qt comment (no eventCreatedOn)', 'qt closed (no eventCreatedOn)', 'qt ref (no eventCreatedOn)', 'qt ref']) {
    assert.ok((seen.get(kind) ?? 0) > 0, `no ${kind} event among the samples: ${[...seen.keys()].join(', ')}`);
  }
  assert.ok(events.length >= 60, `only ${events.length} events`);
});

test('Qt\'s Gerrit 2.x comment: its numbers are strings, and it is dated by its arrival, not by its patch set', (t) => {
  const file = sharedPath('wire', 'gerrit', 'qt', 'events.jsonl');
  if (!file) return t.skip(NO_SHARED);
  const line = readFileSync(file, 'utf8').split('\n').find((l) => l.includes('"comment-added"'));
  assert.ok(line);
  const raw = JSON.parse(line) as Raw;
  assert.equal(typeof rec(raw.change).number, 'string');
  assert.equal(raw.eventCreatedOn, undefined);
  const got = parseEventLine(line, ARRIVED_AT);
  assert.ok(got?.kind === 'comment');
  assert.equal(got.change, 236085);
  assert.equal(got.patchset, 1);
  assert.equal(got.branch, 'dev');
  assert.equal(got.author.username, 'qt_sanity_bot');
  assert.equal(got.at, ARRIVED_AT);
  // Without an arrival time (the old behaviour) it would be 0: older than any request.
  assert.equal(parseEventLine(line)?.at, 0);
});
