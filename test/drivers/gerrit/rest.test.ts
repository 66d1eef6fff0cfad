import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeContent, GerritRest, GerritRestError, parseJson } from '../../../src/drivers/gerrit/rest.js';
import { ADMIN, BOT, GerritStandin } from '../../helpers/gerrit-standin.js';

async function standin(t: { after: (fn: () => Promise<void>) => void }): Promise<{ gerrit: GerritStandin; rest: GerritRest }> {
  const gerrit = await new GerritStandin().start();
  t.after(() => gerrit.stop());
  const rest = new GerritRest({ url: gerrit.url, user: BOT.username, password: gerrit.password, policy: { timeoutMs: 5000, attempts: 3, backoffMs: 10 } });
  return { gerrit, rest };
}

const UPDATE = 'notes: x\nbuilds:\n- id: a-1-1.el7\n  repo: kilo\n  dist: epel-7\n';

test('strips Gerrit\'s )]}\' prefix before parsing JSON', () => {
  assert.deepEqual(parseJson(")]}'\n{\"a\":1}"), { a: 1 });
  assert.deepEqual(parseJson('[1]'), [1]);
  assert.throws(() => parseJson(")]}'\n<html>"), GerritRestError);
});

test('reads a change, its files (without /COMMIT_MSG) and a file\'s base64 content with HTTP basic auth under /a/', async (t) => {
  const { gerrit, rest } = await standin(t);
  const { change } = gerrit.upload({ files: { 'updates/abcd.yml': { content: UPDATE } }, subject: 'New abcd', topic: 'kilo_epel-7' });
  const info = await rest.getChange(gerrit.project, change);
  assert.ok(info);
  assert.equal(info.subject, 'New abcd');
  assert.equal(info.topic, 'kilo_epel-7');
  assert.equal(info.patchset, 1);
  assert.equal(info.author.email, 'jruzicka@example.org');
  assert.equal(info.ref, `refs/changes/0${change}/${change}/1`);
  assert.ok(info.patchsetAt > Date.UTC(2015, 0, 1));
  assert.deepEqual(await rest.listFiles(gerrit.project, change, info.revision), [{ path: 'updates/abcd.yml', status: 'A' }]);
  assert.equal(new TextDecoder().decode(await rest.fileContent(gerrit.project, change, info.revision, 'updates/abcd.yml')), UPDATE);
  assert.equal(await rest.getChange(gerrit.project, 999), undefined);
  assert.ok(gerrit.requests.every((r) => r.split(' ')[1]?.startsWith('/a/')));
});

test('a file\'s content arrives byte for byte, not as the JSON string Gerrit gives a bare Accept: application/json', async (t) => {
  const { gerrit, rest } = await standin(t);
  // Characters Gerrit's JSON writer escapes (html-safe) and some that are not ASCII.
  const text = `${UPDATE}# <b>&amp;</b> a='1' — ünïcode\n`;
  const { change } = gerrit.upload({ files: { 'updates/abcd.yml': { content: text } }, subject: 'New abcd' });
  const info = await rest.getChange(gerrit.project, change);
  assert.ok(info);
  assert.equal(new TextDecoder().decode(await rest.fileContent(gerrit.project, change, info.revision, 'updates/abcd.yml')), text);
});

test('reads either wrapping of a file by X-FYI-Content-Encoding, and refuses what is neither', () => {
  const bytes = (b: Uint8Array) => Buffer.from(b).toString('utf8');
  assert.equal(bytes(decodeContent('f', 'base64', 'aGVsbG8K')), 'hello\n');
  assert.equal(bytes(decodeContent('f', 'json', ")]}'\n\"hello\\u003c\\n\"\n")), 'hello<\n');
  // A proxy that drops the X-FYI header: the )]}' prefix still says JSON.
  assert.equal(bytes(decodeContent('f', null, ")]}'\n\"hi\"\n")), 'hi');
  assert.equal(bytes(decodeContent('f', null, 'aGk=\n')), 'hi');
  assert.throws(() => decodeContent('updates/x.yml', 'base64', ")]}'\n\"hi\""), /content of updates\/x\.yml: the answer is not base64/);
  assert.throws(() => decodeContent('f', 'json', ")]}'\n{}"), /not a string/);
  assert.throws(() => decodeContent('f', 'gzip', 'x'), /unknown X-FYI-Content-Encoding/);
});

test('retries 503s and network trouble, then gives up with what happened', async (t) => {
  const { gerrit, rest } = await standin(t);
  const { change } = gerrit.upload({ files: { 'updates/abcd.yml': { content: UPDATE } }, subject: 'New abcd' });
  gerrit.failNext('GET', `/changes/`, 503, 2);
  assert.equal((await rest.getChange(gerrit.project, change))?.change, change);
  gerrit.failNext('GET', `/changes/`, 503, 3);
  await assert.rejects(rest.getChange(gerrit.project, change), /HTTP 503.*after 3 attempts/);
});

test('a wrong HTTP password is an error that says so, not retried', async (t) => {
  const { gerrit } = await standin(t);
  const wrong = new GerritRest({ url: gerrit.url, user: BOT.username, password: 'nope', policy: { timeoutMs: 5000, attempts: 3, backoffMs: 10 } });
  await assert.rejects(wrong.openChanges(gerrit.project, gerrit.branch), /401: Gerrit refused gerrit.http.user/);
  assert.equal(gerrit.requests.length, 1);
});

test('posts a review with a message, labels and a tag; submit answers Gerrit\'s 409 as a value', async (t) => {
  const { gerrit, rest } = await standin(t);
  const { change } = gerrit.upload({ files: { 'updates/abcd.yml': { content: UPDATE } }, subject: 'New abcd' });
  const info = await rest.getChange(gerrit.project, change);
  assert.ok(info);
  await rest.review(gerrit.project, change, info.revision, { message: 'hello', labels: { Verified: 1 }, tag: 'autogenerated:sluice' });
  assert.deepEqual(gerrit.reviewsOf(change).map((r) => [r.message, r.labels, r.tag]), [['hello', { Verified: 1 }, 'autogenerated:sluice']]);
  const again = await rest.getChange(gerrit.project, change);
  assert.equal(again?.messages.at(-1)?.tag, 'autogenerated:sluice');
  gerrit.submitRefusals.set(change, 'Change 1: needs Code-Review +2');
  assert.deepEqual(await rest.submit(gerrit.project, change), { ok: false, status: 409, message: 'Change 1: needs Code-Review +2' });
  gerrit.submitRefusals.delete(change);
  gerrit.failNext('POST', '/submit', 503, 1);
  assert.deepEqual(await rest.submit(gerrit.project, change), { ok: true });
  assert.deepEqual(gerrit.submits, [change]);
});

test('pages through open changes and lists a group\'s members', async (t) => {
  const { gerrit, rest } = await standin(t);
  for (let i = 0; i < 130; i++) gerrit.upload({ files: { [`updates/u${i}.yml`]: { content: UPDATE } }, subject: `New u${i}`, silent: true });
  gerrit.abandon(7);
  const open = await rest.openChanges(gerrit.project, gerrit.branch);
  assert.equal(open.length, 129);
  assert.equal(new Set(open.map((c) => c.change)).size, 129);
  assert.equal(gerrit.requests.filter((r) => r === 'GET /a/changes/').length, 2);
  gerrit.groups.set('rdo-admins', [ADMIN]);
  assert.deepEqual((await rest.groupMembers('rdo-admins')).map((a) => a.username), ['rdo-admin']);
});
