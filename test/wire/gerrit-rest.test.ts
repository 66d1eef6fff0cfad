import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { decodeContent, GerritRest } from '../../src/drivers/gerrit/rest.js';
import { NO_SHARED, sharedPath } from '../helpers/paths.js';
import { documentedAnswer, type DocumentedAnswer } from './gerrit-docs.js';

/**
 * Gerrit's documented REST examples (../shared/wire/gerrit/extracted), served on loopback
 * exactly as documented (status, headers, `)]}'`, body), drive the real client. File
 * content is answered by the request's Accept header, as "Get Content" documents: base64
 * (the documented example, whose trailing "..." marks where the docs cut it), or to a bare
 * `Accept: application/json` the same file as a JSON string.
 */

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly accept: string | undefined;
  readonly authorization: string | undefined;
  readonly body: string;
}

/** The documented example without the documentation's elision ("..."), cut to whole base64 quanta as the docs cut it mid-way. */
const CONTENT_BASE64 = (raw: string) => {
  const text = raw.trim().replace(/\.\.\.$/, '');
  return text.slice(0, text.length - (text.length % 4));
};

async function documentedGerrit(t: TestContext, dir: string, o: { submit?: 'ok' | '409'; contentAsPrinted?: boolean } = {}): Promise<{ url: string; seen: Seen[] }> {
  const answer = (name: string) => documentedAnswer(dir, name);
  const seen: Seen[] = [];
  const send = (res: ServerResponse, a: Pick<DocumentedAnswer, 'status' | 'headers' | 'body'>) => {
    res.writeHead(a.status, a.headers);
    res.end(a.body);
  };
  const content = (req: IncomingMessage, res: ServerResponse) => {
    const documented = answer('get-content');
    if (req.headers.accept === 'application/json') {
      // "if the only value of the Accept request header is application/json the content is
      // returned as JSON string and X-FYI-Content-Encoding is set to json"
      const text = Buffer.from(CONTENT_BASE64(documented.body), 'base64').toString('utf8');
      return send(res, { status: 200, headers: { ...documented.headers, 'content-type': 'application/json; charset=UTF-8', 'x-fyi-content-encoding': 'json' }, body: `)]}'\n${JSON.stringify(text)}\n` });
    }
    send(res, { ...documented, body: o.contentAsPrinted ? documented.body : CONTENT_BASE64(documented.body) });
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://gerrit');
      const method = req.method ?? 'GET';
      seen.push({ method, path: url.pathname, accept: req.headers.accept, authorization: req.headers.authorization, body: Buffer.concat(chunks).toString('utf8') });
      const p = url.pathname;
      if (method === 'GET' && p === '/a/changes/') return send(res, answer('query-current-revision-commit'));
      if (method === 'GET' && /^\/a\/changes\/[^/]+$/.test(p)) {
        const list = answer('query-current-revision-commit');
        return send(res, { ...list, body: `)]}'\n${JSON.stringify((list.json as unknown[])[0], null, 2)}\n` });
      }
      if (method === 'GET' && /\/revisions\/[^/]+\/files\/$/.test(p)) return send(res, answer('list-files'));
      if (method === 'GET' && /\/revisions\/[^/]+\/files\/[^/]+\/content$/.test(p)) return content(req, res);
      if (method === 'POST' && /\/revisions\/[^/]+\/review$/.test(p)) return send(res, answer('set-review'));
      if (method === 'POST' && /^\/a\/changes\/[^/]+\/submit$/.test(p)) return send(res, answer(o.submit === '409' ? 'submit-409' : 'submit-ok'));
      if (method === 'GET' && /^\/a\/groups\/[^/]+\/members\/$/.test(p)) return send(res, answer(url.searchParams.has('recursive') ? 'group-members-recursive' : 'group-members'));
      send(res, { status: 404, headers: { 'content-type': 'text/plain; charset=UTF-8' }, body: 'Not found\n' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, seen };
}

const client = (url: string) => new GerritRest({ url, user: 'sluice-bot', password: 'secret', policy: { timeoutMs: 5000, attempts: 2, backoffMs: 10 } });

type Json = Record<string, unknown>;

test('the documented change query, file list and file content drive the client to the documented change', async (t) => {
  const dir = sharedPath('wire', 'gerrit', 'extracted');
  if (!dir) return t.skip(NO_SHARED);
  const { url, seen } = await documentedGerrit(t, dir);
  const rest = client(url);
  const doc = (documentedAnswer(dir, 'query-current-revision-commit').json as Json[])[0] as Json;
  const revision = String(doc.current_revision);
  const rev = (doc.revisions as Record<string, Json>)[revision] as Json;
  const commit = rev.commit as Json;
  const author = commit.author as Json;

  const open = await rest.openChanges(String(doc.project), String(doc.branch));
  assert.equal(open.length, 1);
  const change = open[0];
  assert.ok(change);
  assert.deepEqual(
    { project: change.project, branch: change.branch, change: change.change, revision: change.revision, patchset: change.patchset, ref: change.ref, subject: change.subject, author: change.author, status: change.status },
    { project: doc.project, branch: doc.branch, change: doc._number, revision, patchset: rev._number, ref: rev.ref, subject: commit.subject, author: { name: author.name, email: author.email }, status: doc.status },
  );
  assert.equal(change.patchsetAt, 0, 'the documented revision has no created time');
  assert.deepEqual(await rest.getChange(String(doc.project), change.change), change);

  const files = documentedAnswer(dir, 'list-files').json as Json;
  const real = Object.keys(files).filter((p) => !p.startsWith('/'));
  assert.deepEqual(await rest.listFiles(change.project, change.change, revision), real.map((path) => ({ path, status: 'M' })));

  const [path] = real;
  assert.ok(path);
  const bytes = await rest.fileContent(change.project, change.change, revision, path);
  const expected = Buffer.from(CONTENT_BASE64(documentedAnswer(dir, 'get-content').body), 'base64').toString('utf8');
  assert.equal(Buffer.from(bytes).toString('utf8'), expected);
  assert.match(expected, /^\/\/ Copyright \(C\) 2010 The Android Open Source Proje/);

  // Every call under /a/ with basic auth; JSON asked for as JSON, the content as base64.
  assert.ok(seen.every((s) => s.path.startsWith('/a/') && s.authorization === `Basic ${Buffer.from('sluice-bot:secret').toString('base64')}`));
  const contentRequest = seen.find((s) => s.path.endsWith('/content'));
  assert.ok(contentRequest);
  assert.notEqual(contentRequest.accept, 'application/json');
  assert.equal(contentRequest.path, `/a/changes/${encodeURIComponent(String(doc.project))}~${change.change}/revisions/${revision}/files/${encodeURIComponent(path)}/content`);
  assert.ok(seen.filter((s) => !s.path.endsWith('/content')).every((s) => s.accept === 'application/json'));
});

test('the documented "Get Content" answers both ways, and the base64 reading of the JSON one is the garbage that failed every change', async (t) => {
  const dir = sharedPath('wire', 'gerrit', 'extracted');
  if (!dir) return t.skip(NO_SHARED);
  const { url } = await documentedGerrit(t, dir);
  const path = `${url}a/changes/x~1/revisions/abc/files/f/content`;
  const asJson = await fetch(path, { headers: { accept: 'application/json' } });
  const asText = await fetch(path, { headers: { accept: 'text/plain' } });
  assert.equal(asJson.headers.get('x-fyi-content-encoding'), 'json');
  assert.equal(asText.headers.get('x-fyi-content-encoding'), 'base64');
  const jsonBody = await asJson.text();
  const textBody = await asText.text();
  assert.ok(jsonBody.startsWith(")]}'\n\""));
  const fromJson = Buffer.from(decodeContent('f', asJson.headers.get('x-fyi-content-encoding'), jsonBody)).toString('utf8');
  const fromText = Buffer.from(decodeContent('f', asText.headers.get('x-fyi-content-encoding'), textBody)).toString('utf8');
  assert.equal(fromJson, fromText);
  assert.notEqual(Buffer.from(jsonBody.trim(), 'base64').toString('utf8'), fromText);
});

test('the documented content as printed (cut with "...") is refused as not base64, not decoded to garbage', async (t) => {
  const dir = sharedPath('wire', 'gerrit', 'extracted');
  if (!dir) return t.skip(NO_SHARED);
  const { url } = await documentedGerrit(t, dir, { contentAsPrinted: true });
  await assert.rejects(client(url).fileContent('demo', 1, 'abc', 'f.java'), /content of f\.java: the answer is not base64: Ly8gQ29weXJp/);
});

test('the documented review, submit (200 and 409) and group members answers are read as Gerrit means them', async (t) => {
  const dir = sharedPath('wire', 'gerrit', 'extracted');
  if (!dir) return t.skip(NO_SHARED);
  const ok = await documentedGerrit(t, dir);
  const rest = client(ok.url);
  await rest.review('demo', 1, 'abc', { message: 'Sluice phase1: passed', labels: { Verified: 1 }, tag: 'autogenerated:sluice' });
  const posted = ok.seen.find((s) => s.path.endsWith('/review'));
  assert.deepEqual(JSON.parse(posted?.body ?? '{}'), { message: 'Sluice phase1: passed', labels: { Verified: 1 }, tag: 'autogenerated:sluice' });
  assert.deepEqual(await rest.submit('demo', 1), { ok: true });
  const members = documentedAnswer(dir, 'group-members-recursive').json as Json[];
  assert.deepEqual((await rest.groupMembers('rdo-admins')).map((m) => [m.username, m.email, m.accountId]), members.map((m) => [m.username, m.email, m._account_id]));
  assert.ok(ok.seen.some((s) => s.path === '/a/groups/rdo-admins/members/'));

  const refused = await documentedGerrit(t, dir, { submit: '409' });
  assert.deepEqual(await client(refused.url).submit('demo', 1), { ok: false, status: 409, message: documentedAnswer(dir, 'submit-409').body.trim() });
});
