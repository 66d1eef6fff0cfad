import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { get, type IncomingMessage } from 'node:http';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, it, type TestContext } from 'node:test';
import { pino } from 'pino';
import { openStore, type Store } from '../../src/store/index.js';
import { ErrorBodySchema } from '../../src/web/api-error.js';
import { answerClientError } from '../../src/web/client-error.js';
import { escapeHtml } from '../../src/web/html.js';
import { publicData, publicNode, publicWorker } from '../../src/web/public-view.js';
import { redactUrl } from '../../src/web/log-redact.js';
import { assertEventLoopHeldUnder, NESTED_MIB } from '../helpers/event-loop.js';
import { tempDir } from '../helpers/paths.js';
import { submit, updateText } from '../helpers/site.js';
import { SECURITY_HEADERS } from '../../src/web/server.js';
import { AUTH, namedToken, until, webEngine, webServer, webSite, type WebSiteFixture } from './fixture.js';

const RLO = '\u202e';

async function site(t: TestContext): Promise<{ f: WebSiteFixture; store: Store }> {
  const f = await webSite(tempDir(t));
  const store = await openStore(`sqlite:${join(f.site.dir, 'sluice.db')}`);
  t.after(() => store.close());
  return { f, store };
}

async function listening(app: Awaited<ReturnType<typeof webServer>>['app']): Promise<number> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return (app.server.address() as AddressInfo).port;
}

/** Sends raw bytes and reads the whole answer (the server closes the connection). */
function raw(port: number, bytes: string): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => { text += d; });
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = text.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), headers: head, body });
    });
  });
}

/** Opens a live stream; answers its response once the headers are in (the body stays open). */
function openStream(port: number, path: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path, headers: { accept: 'text/event-stream' } }, resolve);
    req.on('error', reject);
  });
}

async function bodyOf(res: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of res) text += String(chunk);
  return text;
}

describe('nested input through the API', () => {
  it('a 1 MiB nested update file is refused 400 E_YAML_TOO_DEEP with its position, holding the event loop well under 100 ms', async (t) => {
    const { f, store } = await site(t);
    const { app } = await webServer(t, store, f);
    const payload = JSON.stringify({ file: 'deep.yml', content: `notes: x\nbuilds: ${NESTED_MIB}` });
    // The first submission loads what every one goes through: that cost is not the file's.
    assert.equal((await app.inject({ method: 'POST', url: '/api/runs', headers: { ...AUTH, 'content-type': 'application/json' }, payload: JSON.stringify({ file: 'warm.yml', content: 'notes: [' }) })).statusCode, 400);
    const r = await assertEventLoopHeldUnder(100, () => app.inject({ method: 'POST', url: '/api/runs', headers: { ...AUTH, 'content-type': 'application/json' }, payload }));
    assert.equal(r.statusCode, 400, r.body);
    const body = ErrorBodySchema.parse(r.json());
    assert.equal(body.error.code, 'E_YAML_TOO_DEEP');
    assert.equal(body.error.message, 'updates/deep.yml:2:72: collections nest more than 64 levels deep here');
    assert.equal((await store.listRuns({})).length, 0);
  });

  it('a JSON body nested past 64 levels is refused 400 before it is parsed', async (t) => {
    const { f, store } = await site(t);
    const { app } = await webServer(t, store, f);
    const r = await app.inject({ method: 'POST', url: '/api/runs', headers: { ...AUTH, 'content-type': 'application/json' }, payload: `{"file":${'['.repeat(500_000)}` });
    assert.equal(r.statusCode, 400);
    assert.deepEqual(ErrorBodySchema.parse(r.json()).error, {
      code: 'E_REQUEST_INVALID', status: 400, message: 'body: JSON nests more than 64 levels deep at character 72',
      details: [{ path: 'body', message: 'JSON nests more than 64 levels deep at character 72' }],
    });
  });
});

describe('public views', () => {
  it('name a node by provider and name, and a worker by an opaque name, never by a path or host:pid', () => {
    assert.equal(publicNode(`local:${join(tmpdir(), 'site', '.sluice', 'work', 'r1', 'j1-a1')}`), 'local:j1-a1');
    assert.equal(publicNode('openstack:rdo/kilo-epel-7 8f2c (10.0.0.5)'), 'openstack:rdo/kilo-epel-7 8f2c (10.0.0.5)');
    assert.equal(publicNode('ssh:ci@builder1:22'), 'ssh:ci@builder1:22');
    assert.match(publicWorker('ci.example.org:4242#3'), /^worker-[0-9a-f]{8}#3$/);
    assert.equal(publicWorker('ci.example.org:4242'), publicWorker('ci.example.org:4242#9').replace('#9', ''));
    assert.deepEqual(publicData({ published: [{ target: 'kilo/epel-7', tree: '/srv/repos/trees/kilo-epel-7.3' }], pushed: [{ id: 'a', files: ['kilo/el7/x.rpm'] }] }),
      { published: [{ target: 'kilo/epel-7', tree: 'kilo-epel-7.3' }], pushed: [{ id: 'a', files: ['kilo/el7/x.rpm'] }] });
  });

  it('the JSON of runs, jobs, nodes and live events holds no absolute path of the server and no worker id', async (t) => {
    const { f, store } = await site(t);
    const engine = webEngine(f, store);
    const { app } = await webServer(t, store, f, { engine });
    const port = await listening(app);
    const events = await openStream(port, '/api/events');
    let streamed = '';
    events.on('data', (c) => { streamed += String(c); });
    t.after(() => events.destroy());
    const runId = await submit(f.site, store, 'pub1', 'sleep 1', ['kilo/epel-7', 'kilo/fedora-22']);
    engine.start();
    t.after(() => engine.stop());
    await until(async () => JSON.stringify((await app.inject({ url: '/api/nodes' })).json()).includes('"holder"'), 20_000, 'a lease');
    const nodes = (await app.inject({ url: '/api/nodes' })).body;
    await until(async () => (await store.getRun(runId))?.state === 'finished', 30_000, 'the run');
    await until(() => streamed.includes('job.finished'), 5_000, 'the streamed events');
    const job = (await store.listJobs(runId))[0];
    assert.ok(job);
    const bodies = [
      nodes, streamed,
      ...(await Promise.all(['/api/jobs', `/api/runs/${runId}`, `/api/runs/${runId}/jobs`, `/api/jobs/${job.id}`, '/api/runs', '/api/updates/pub1', `/runs/${runId}`]
        .map(async (url) => (await app.inject({ url })).body))),
    ];
    for (const body of bodies) {
      assert.ok(!body.includes(f.site.dir), `no path of the server in ${body.slice(Math.max(0, body.indexOf(f.site.dir) - 300), body.indexOf(f.site.dir) + 100)}`);
      assert.ok(!body.includes('web-test'), `no worker id in ${body.slice(0, 300)}`);
    }
    const shown = (await app.inject({ url: `/api/jobs/${job.id}` })).json() as { node: string };
    assert.match(shown.node, /^local:[^/]+$/);
    assert.match(streamed, /"worker":"worker-[0-9a-f]{8}"/);
    assert.match(nodes, /"holder":"worker-[0-9a-f]{8}#\d+"/);
  });
});

describe('the server log', () => {
  it('never holds the value of a token sent in the query string', async (t) => {
    const { f, store } = await site(t);
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (l: string) => { lines.push(l); } });
    const { app } = await webServer(t, store, f, { logger, auth: { tokens: [namedToken('ops', ['admin'], 'right-token-0123456789')], publicReads: false } });
    for (const url of ['/api/runs?token=s3cr3t-query-token', '/?access_token=s3cr3t-query-token&limit=2', '/api/runs/x/cancel?api%5Fkey=s3cr3t-query-token']) {
      const r = await app.inject({ method: url.includes('cancel') ? 'POST' : 'GET', url });
      assert.equal(r.statusCode, 401, url);
    }
    const log = lines.join('');
    assert.ok(!log.includes('s3cr3t-query-token'), log);
    assert.match(log, /"url":"\/api\/runs\?token=\[redacted\]"/);
    assert.match(log, /"url":"\/\?access_token=\[redacted\]&limit=2"/);
    assert.equal(redactUrl('/a?x=1&Password=p&sig=q&page=2'), '/a?x=1&Password=[redacted]&sig=[redacted]&page=2');
  });
});

describe('bidirectional controls', () => {
  it('are shown as their code point in every text a page renders', async (t) => {
    assert.equal(escapeHtml(`a${RLO}b\u2066c\u200fd`), 'a[U+202E]b[U+2066]c[U+200F]d');
    const { f, store } = await site(t);
    const engine = webEngine(f, store);
    const { app } = await webServer(t, store, f, { engine });
    await app.inject({ method: 'POST', url: '/api/targets/liberty/epel-7/disable', headers: AUTH, payload: { reason: `mirror ${RLO}nekorb`, by: `ops${RLO}` } });
    const submitted = await app.inject({ method: 'POST', url: '/api/runs', headers: AUTH, payload: { file: 'bidi1.yml', content: updateText(`"${RLO}fail on kilo/fedora-22"`, ['kilo/epel-7', 'kilo/fedora-22']), author: { name: `Ann ${RLO}nnA`, email: 'x@example.org' } } });
    assert.equal(submitted.statusCode, 201, submitted.body);
    const { runId } = submitted.json() as { runId: string };
    const other = await submit(f.site, store, 'bidi2', 'sleep 30', ['kilo/epel-7']);
    await app.inject({ method: 'POST', url: `/api/runs/${other}/cancel`, headers: AUTH, payload: { reason: `${RLO}wrong build` } });
    engine.start();
    t.after(() => engine.stop());
    await until(async () => (await store.getRun(runId))?.state === 'finished', 30_000, 'the run');
    const failed = (await store.listJobs(runId)).find((j) => j.result === 'failure');
    assert.ok(failed?.logPath);
    appendFileSync(failed.logPath, `Error: ${RLO}gnissim si degakcap\n`);
    const pages = ['/', '/fragments/front', '/runs', `/runs/${runId}`, `/fragments/runs/${runId}`, `/runs/${other}`, '/updates/bidi1', `/jobs/${failed.id}/log`, `/updates/${encodeURIComponent(`x${RLO}`)}`];
    for (const url of pages) {
      const r = await app.inject({ url, headers: { accept: 'text/html' } });
      assert.match(String(r.headers['content-type']), /^text\/html/, url);
      assert.ok(!r.body.includes(RLO), `${url} shows U+202E as is`);
    }
    assert.match((await app.inject({ url: '/' })).body, /mirror \[U\+202E\]nekorb/);
    assert.match((await app.inject({ url: '/updates/bidi1' })).body, /Ann \[U\+202E\]nnA/);
    assert.match((await app.inject({ url: `/runs/${other}` })).body, /\[U\+202E\]wrong build/);
    assert.match((await app.inject({ url: `/jobs/${failed.id}/log` })).body, /Error: \[U\+202E\]gnissim si degakcap/);
  });
});

describe('malformed requests', () => {
  it('get the documented error shape: 400 for bad HTTP, 431 for oversized headers', async (t) => {
    const { f, store } = await site(t);
    const { app } = await webServer(t, store, f);
    const port = await listening(app);
    const bad = await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
    assert.equal(bad.status, 400);
    assert.match(bad.headers, /content-type: application\/json/i);
    assert.match(bad.headers, /content-security-policy: default-src 'none'/i);
    assert.deepEqual(ErrorBodySchema.parse(JSON.parse(bad.body)).error, { code: 'E_REQUEST_INVALID', message: 'the request is not valid HTTP', status: 400 });
    const big = await raw(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.equal(big.status, 431);
    assert.equal(ErrorBodySchema.parse(JSON.parse(big.body)).error.code, 'E_HEADERS_TOO_LARGE');
  });

  it('a request too slow to arrive gets 408 E_REQUEST_TIMEOUT in the same shape', async (t) => {
    // Node times a request out after minutes; its error is handed to the handler on a real socket here.
    const server = createServer((socket: Socket) => {
      // As on the HTTP server's sockets: the error the socket is destroyed with is heard.
      socket.on('error', () => undefined);
      answerClientError(Object.assign(new Error('timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), socket, SECURITY_HEADERS);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => server.close());
    const slow = await raw((server.address() as AddressInfo).port, 'GET / HTTP/1.1\r\n');
    assert.equal(slow.status, 408);
    assert.deepEqual(ErrorBodySchema.parse(JSON.parse(slow.body)).error, { code: 'E_REQUEST_TIMEOUT', message: 'the request did not arrive in time', status: 408 });
  });
});

describe('limits on clients', () => {
  it('answer a live stream beyond the total 503 E_SERVER_BUSY and one beyond a client\'s share 429, counted in /metrics', async (t) => {
    const { f, store } = await site(t);
    const { app } = await webServer(t, store, f, { limits: { streams: 2, streams_per_client: 0 } });
    const port = await listening(app);
    const open = [await openStream(port, '/api/events'), await openStream(port, '/api/events')];
    t.after(() => { for (const s of open) s.destroy(); });
    assert.deepEqual(open.map((s) => s.statusCode), [200, 200]);
    const third = await openStream(port, '/api/events');
    assert.equal(third.statusCode, 503);
    assert.equal(third.headers['retry-after'], '5');
    assert.equal(ErrorBodySchema.parse(JSON.parse(await bodyOf(third))).error.code, 'E_SERVER_BUSY');
    const metrics = (await app.inject({ url: '/metrics' })).body;
    assert.match(metrics, /^sluice_web_refused_total\{reason="streams"\} 1$/m);
    assert.match(metrics, /^sluice_web_streams 2$/m);
    // A stream that ends gives its place back.
    open.pop()?.destroy();
    await until(async () => /^sluice_web_streams 1$/m.test((await app.inject({ url: '/metrics' })).body), 5_000, 'the stream to close');
    const again = await openStream(port, '/api/events');
    open.push(again);
    assert.equal(again.statusCode, 200);
  });

  it('answer a client\'s stream beyond its share 429 E_RATE_LIMITED', async (t) => {
    const { f, store } = await site(t);
    const { app } = await webServer(t, store, f, { limits: { streams_per_client: 1 } });
    const port = await listening(app);
    const first = await openStream(port, '/api/events');
    t.after(() => first.destroy());
    const second = await openStream(port, '/api/events');
    assert.equal(second.statusCode, 429);
    assert.equal(ErrorBodySchema.parse(JSON.parse(await bodyOf(second))).error.code, 'E_RATE_LIMITED');
  });

  it('answer requests beyond a client\'s rate 429 with Retry-After, and take them again once the bucket refills', async (t) => {
    const { f, store } = await site(t);
    const { app } = await webServer(t, store, f, { limits: { requests_per_second: 2, request_burst: 3 } });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await app.inject({ url: '/api/targets' })).statusCode);
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    const refused = await app.inject({ url: '/api/targets' });
    assert.equal(ErrorBodySchema.parse(refused.json()).error.code, 'E_RATE_LIMITED');
    assert.equal(refused.headers['retry-after'], '1');
    await new Promise((r) => setTimeout(r, 600));
    assert.equal((await app.inject({ url: '/api/targets' })).statusCode, 200);
  });
});
