import { collectedPath } from './collected.js';
import { createReadStream, statSync } from 'node:fs';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DEFAULT_WEB_LIMITS } from '../core/config-schema.js';
import { jsonTooDeepAt, MAX_JSON_DEPTH } from '../core/json-depth.js';
import { ApiError, validate } from './api-error.js';
import { actionRoutes } from './api/actions.js';
import { adminRoutes } from './api/admin.js';
import { logRoutes } from './api/logs.js';
import { notificationRoutes } from './api/notifications.js';
import { waiverRoutes } from './api/waivers.js';
import { readRoutes, updateView } from './api/reads.js';
import { registerApiRoutes, type AnyApiRoute } from './api/route.js';
import { Authenticator } from './auth.js';
import { pageViewer, registerForms } from './forms.js';
import { answerClientError } from './client-error.js';
import { endedBadly } from './cell-state.js';
import type { WebDeps } from './deps.js';
import { EventHub } from './event-hub.js';
import { logErrors } from './excerpt-adapter.js';
import { ClientLimits } from './limits.js';
import { indexLog, readFrom, readLines } from './log-file.js';
import { locateLog, locateLogOrPruned } from './log-locator.js';
import { PEER_HEADER } from './peer-logs.js';
import { redactUrl } from './log-redact.js';
import { WebMetrics } from './metrics.js';
import { openApiDocument, type OtherEndpoint } from './openapi.js';
import { errorPage } from './pages/error.js';
import { frontFragment, frontPage } from './pages/front.js';
import { jobFragment, jobPage } from './pages/job.js';
import { logPage, logWindow, prunedLogPage } from './pages/log.js';
import { runFragment, runPage } from './pages/run.js';
import { runsPage } from './pages/runs.js';
import { updatePage } from './pages/update.js';
import { publicData, publicStore } from './public-view.js';
import { pageRuns, runsTouching } from './queries.js';
import { EventsQuery, JobParams, LogFollowQuery, RunParams, RunsQuery, UpdateParams } from './schemas.js';
import { openEventStream, type EventStream } from './sse.js';
import { loadStaticFiles } from './static-files.js';

/** Sent with every answer: scripts and styles only from this server, no inline script, no framing. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const LIVE_KINDS = /^(run|job|target|config|web|production)\./;
const FOLLOW_POLL_MS = 500;
const FOLLOW_CHUNK = 256 * 1024;
const BODY_LIMIT = 1536 * 1024;

export interface WebServer {
  readonly app: FastifyInstance;
  readonly hub: EventHub;
  readonly metrics: WebMetrics;
  /** The OpenAPI document, as /api/openapi.json serves it. */
  readonly openapi: Record<string, unknown>;
  /** Who is asking; its tokens can be replaced while the server runs. */
  readonly auth: Authenticator;
}

/**
 * The dashboard and HTTP API over one store: JSON under /api (documented by
 * /api/openapi.json), server-rendered pages, live updates by Server-Sent Events and
 * /metrics. Reads the store; writes only through the engine's and store's named operations.
 */
export async function buildWebServer(d: WebDeps): Promise<WebServer> {
  const logger: FastifyBaseLogger | undefined = d.logger || undefined;
  const app: FastifyInstance = Fastify({
    ...(logger ? { loggerInstance: logger } : { logger: false }),
    // One log line per answer comes from the onResponse hook below, at a level by status.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    forceCloseConnections: true,
    return503OnClosing: true,
    // A URL the router cannot take (bad percent-encoding, a part over 100 characters) is
    // answered before any hook: give it the documented error shape too.
    frameworkErrors: (err, request, reply) => {
      reply.headers(SECURITY_HEADERS);
      const what = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a part of the URL is longer than 100 characters' : 'the URL is not valid (bad percent-encoding?)';
      return sendError(new ApiError('E_REQUEST_INVALID', `path: ${what}`, [{ path: 'path', message: what }]), request, reply);
    },
    // What Node's HTTP parser refuses before Fastify sees a request: the documented shape too.
    clientErrorHandler: (err, socket) => answerClientError(err, socket, SECURITY_HEADERS),
  });
  // JSON.parse takes a second over 1.5 MB of [[[...: nesting is bounded before it runs.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (request, body, done) => {
    const text = String(body);
    const deep = jsonTooDeepAt(text);
    if (deep === undefined) return parseJson(request, text, done);
    const message = `JSON nests more than ${MAX_JSON_DEPTH} levels deep at character ${deep + 1}`;
    done(new ApiError('E_REQUEST_INVALID', `body: ${message}`, [{ path: 'body', message }]), undefined);
  });
  const auth = new Authenticator(d.auth);
  app.decorateRequest('viewer', undefined);
  const hub = new EventHub({ store: d.store, pollMs: d.pollMs ?? 250, log: (msg, err) => app.log.warn({ err }, msg) });
  const metrics = new WebMetrics({ store: d.store, site: d.site, now: d.now });
  const streams = new Set<EventStream>();
  const limits = new ClientLimits(d.site.config.web?.limits ?? DEFAULT_WEB_LIMITS, Date.now, (why) => metrics.countRefusal(why));
  metrics.watchStreams(() => limits.openStreams);
  // Pages read runs and jobs as the public may see them (node names, no paths of the server).
  const pages: WebDeps = { ...d, store: publicStore(d.store) };
  await hub.start();
  const unfollow = metrics.follow(hub);
  app.addHook('onClose', async () => {
    for (const s of [...streams]) s.close();
    unfollow();
    await hub.stop();
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.headers(SECURITY_HEADERS);
    limits.request(request.ip);
    request.viewer = auth.authorize(request.routeOptions.config?.access ?? 'read', {
      authorization: request.headers.authorization, cookie: request.headers.cookie, remote: request.socket.remoteAddress, headers: request.headers,
    }, d.now());
  });
  app.addHook('onResponse', async (request, reply) => {
    const entry = { method: request.method, url: redactUrl(request.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    if (reply.statusCode >= 500) request.log.error(entry, 'request failed');
    else if (reply.statusCode >= 400 || request.method !== 'GET') request.log.info(entry, 'request');
    else request.log.debug(entry, 'request');
  });
  app.setErrorHandler((err: FastifyError | ApiError, request, reply) => sendError(toApiError(err, request), request, reply));
  app.setNotFoundHandler((request, reply) => sendError(new ApiError('E_NO_ROUTE', `no page or endpoint ${request.method} ${request.url.split('?')[0] ?? ''}`), request, reply));

  const routes: AnyApiRoute[] = [...readRoutes(d), ...notificationRoutes(d), ...logRoutes(d), ...actionRoutes(d), ...waiverRoutes(d), ...adminRoutes(d)];
  registerApiRoutes(app, routes);
  // Cookies are Secure when the browser reached us over TLS, directly or through a trusted proxy.
  registerForms(app, d, auth, (request) => request.protocol === 'https' || (auth.fromTrustedProxy(request.socket.remoteAddress) && request.headers['x-forwarded-proto'] === 'https'));
  const others: OtherEndpoint[] = [
    { path: '/api/events', tag: 'live', summary: 'Server-Sent Events: each run, job, target, configuration reload and `web.action` event of the store as it happens (`event:` its kind, `data:` JSON)', contentType: 'text/event-stream', query: EventsQuery },
    { path: '/api/jobs/{id}/log/follow', tag: 'live', summary: 'Server-Sent Events: a running job\'s log as it grows (`lines` events from `offset`, then `end`)', contentType: 'text/event-stream', params: JobParams, query: LogFollowQuery },
    { path: '/jobs/{id}/log.txt', tag: 'jobs', summary: 'A job\'s whole log as text (streamed)', contentType: 'text/plain', params: JobParams },
    { path: '/jobs/{id}/collected/{name}', tag: 'jobs', summary: 'A file the job\'s node sent back (`pipelines.<name>.collect`), as text', contentType: 'text/plain', params: JobParams.extend({ name: z.string() }) },
    { path: '/metrics', tag: 'metrics', summary: 'Prometheus metrics: queue length, jobs by result, durations, node utilisation, leases', contentType: 'text/plain' },
  ];
  const openapi = openApiDocument(routes, others, { version: d.version ?? '0.1.0', publicReads: d.auth.publicReads });
  app.get('/api/openapi.json', async () => openapi);

  app.get('/metrics', async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.text();
  });

  app.get('/api/events', async (request, reply) => {
    const query = validate(EventsQuery, request.query ?? {}, 'query');
    const release = limits.stream(request.ip);
    const stream = openEventStream(request, reply, SECURITY_HEADERS, streams);
    stream.onClose(release);
    stream.onClose(hub.subscribe((e) => {
      if (!LIVE_KINDS.test(e.kind) || (query.run !== undefined && e.runId !== query.run)) return;
      stream.send(e.kind, { seq: e.seq, at: e.at, kind: e.kind, runId: e.runId, jobId: e.jobId, payload: publicData(e.payload) }, e.seq);
    }));
  });

  app.get('/api/jobs/:id/log/follow', async (request, reply) => {
    const params = validate(JobParams, request.params, 'path');
    const query = validate(LogFollowQuery, request.query ?? {}, 'query');
    if (!(await d.store.getJob(params.id))) throw new ApiError('E_NOT_FOUND', `no job "${params.id}"`);
    const release = limits.stream(request.ip);
    const stream = openEventStream(request, reply, SECURITY_HEADERS, streams);
    stream.onClose(release);
    let offset = query.offset;
    const tick = async (): Promise<void> => {
      const job = await d.store.getJob(params.id);
      const path = job && await locateLog(job, d, request.headers);
      if (path) {
        for (let more = true; more && !stream.closed;) {
          const { text, next } = await readFrom(path, offset, FOLLOW_CHUNK);
          if (text !== '') stream.send('lines', { offset, next, text });
          more = next > offset && next - offset === Buffer.byteLength(text) && text.length > 0 && Buffer.byteLength(text) >= FOLLOW_CHUNK / 2;
          offset = next;
        }
      }
      if (!job || job.state === 'finished') { stream.send('end', { offset, state: job?.state ?? 'gone' }); stream.close(); }
    };
    const timer = setInterval(() => { void tick().catch((e) => { app.log.warn({ err: e }, 'following a log'); stream.close(); }); }, FOLLOW_POLL_MS);
    stream.onClose(() => clearInterval(timer));
    void tick().catch(() => stream.close());
  });

  const html = (reply: FastifyReply, body: string) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
  const getRun = async (id: string) => {
    const run = await pages.store.getRun(id);
    if (!run) throw new ApiError('E_NOT_FOUND', `no run "${id}"`);
    return run;
  };

  app.get('/', async (request, reply) => html(reply, await frontPage(pages, pageViewer(auth, request.viewer))));
  app.get('/fragments/front', async (_request, reply) => html(reply, (await frontFragment(pages)).text));
  app.get('/runs', async (request, reply) => {
    const query = validate(RunsQuery, request.query ?? {}, 'query');
    const page = await pageRuns(pages.store, query);
    return html(reply, runsPage(page.items, page.next, query));
  });
  app.get('/runs/:id', async (request, reply) => html(reply, await runPage(pages, await getRun(validate(RunParams, request.params, 'path').id), pageViewer(auth, request.viewer))));
  app.get('/fragments/runs/:id', async (request, reply) => html(reply, (await runFragment(pages, await getRun(validate(RunParams, request.params, 'path').id))).text));
  app.get('/updates/:id', async (request, reply) => {
    const { id } = validate(UpdateParams, request.params, 'path');
    const view = await updateView(pages, id);
    if (!view) throw new ApiError('E_NOT_FOUND', `no update "${id}"`);
    return html(reply, updatePage(view, await runsTouching(pages.store, id)));
  });
  const getJobAndRun = async (id: string) => {
    const job = await d.store.getJob(id);
    if (!job) throw new ApiError('E_NOT_FOUND', `no job "${id}"`);
    return { job, run: await getRun(job.runId) };
  };
  app.get('/jobs/:id', async (request, reply) => {
    const { job, run } = await getJobAndRun(validate(JobParams, request.params, 'path').id);
    return html(reply, await jobPage(d, job, run));
  });
  app.get('/fragments/jobs/:id', async (request, reply) => {
    const { job, run } = await getJobAndRun(validate(JobParams, request.params, 'path').id);
    return html(reply, (await jobFragment(d, job, run)).text);
  });
  app.get('/jobs/:id/log', async (request, reply) => {
    const { id } = validate(JobParams, request.params, 'path');
    const { line } = validate(z.object({ line: z.coerce.number().int().min(1).optional() }), request.query ?? {}, 'query');
    const job = await d.store.getJob(id);
    if (!job) throw new ApiError('E_NOT_FOUND', `no job "${id}"`);
    const { path, pruned } = await locateLogOrPruned(job, d, request.headers);
    if (pruned) return html(reply, prunedLogPage(job, pruned));
    if (!path) throw new ApiError('E_NO_LOG', `job ${id} has no log${job.state === 'queued' ? ' yet: it is queued' : ''}`);
    const index = await indexLog(path);
    const errors = endedBadly(job) ? await logErrors(path, job.excerpt) : undefined;
    const win = logWindow(index, errors, line);
    return html(reply, logPage(job, index, errors, win, await readLines(path, index, win.from, win.count)));
  });
  app.get('/jobs/:id/log.txt', async (request, reply) => {
    const { id } = validate(JobParams, request.params, 'path');
    const job = await d.store.getJob(id);
    if (!job) throw new ApiError('E_NOT_FOUND', `no job "${id}"`);
    const { path, pruned } = await locateLogOrPruned(job, d, request.headers);
    // A peer copying the log learns there is none; it reads the same note from the store.
    if (pruned && request.headers[PEER_HEADER] === undefined) return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(`${pruned}\n`);
    if (!path) throw new ApiError('E_NO_LOG', `job ${id} has no log`);
    reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store').header('accept-ranges', 'bytes');
    // `bytes=N-` only, the form another host's dashboard asks with to copy what it lacks of a growing log.
    const from = /^bytes=(\d+)-$/.exec(String(request.headers.range ?? ''))?.[1];
    if (from === undefined) return reply.send(createReadStream(path));
    const size = statSync(path).size;
    const start = Number(from);
    if (start >= size) return reply.code(416).header('content-range', `bytes */${size}`).send('');
    return reply.code(206).header('content-range', `bytes ${start}-${size - 1}/${size}`).send(createReadStream(path, { start, end: size - 1 }));
  });

  app.get('/jobs/:id/collected/:name', async (request, reply) => {
    const { id, name } = validate(JobParams.extend({ name: z.string().min(1).max(200) }), request.params, 'path');
    const job = await d.store.getJob(id);
    if (!job) throw new ApiError('E_NOT_FOUND', `no job "${id}"`);
    const path = collectedPath(job, name);
    if (!path) throw new ApiError('E_NOT_FOUND', `job ${id} collected no file "${name}" from its node`);
    return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store').header('x-content-type-options', 'nosniff').send(createReadStream(path));
  });

  const files = loadStaticFiles();
  app.get('/static/:name', { config: { access: 'public' } }, async (request, reply) => {
    const file = files.get((request.params as { name: string }).name);
    if (!file) throw new ApiError('E_NO_ROUTE', 'no such static file');
    if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
    return reply.type(file.type).header('etag', file.etag).header('cache-control', 'no-cache').send(file.body);
  });
  app.get('/favicon.ico', { config: { access: 'public' } }, async (_request, reply) => reply.code(204).send());

  return { app, hub, metrics, openapi, auth };
}

function toApiError(err: FastifyError | ApiError, request: FastifyRequest): ApiError {
  if (err instanceof ApiError) return err;
  const status = (err as FastifyError).statusCode ?? 500;
  if (status === 413) return new ApiError('E_FILE_TOO_LARGE', 'the request body is larger than 1.5 MiB');
  if (status === 415) return new ApiError('E_MEDIA_TYPE', 'the request body must be JSON (Content-Type: application/json)');
  if (status >= 400 && status < 500) return new ApiError('E_REQUEST_INVALID', `body: ${err.message}`, [{ path: 'body', message: err.message }]);
  request.log.error({ err }, 'unexpected failure');
  return new ApiError('E_INTERNAL', 'an unexpected failure inside Sluice: the server log has the details');
}

function sendError(e: ApiError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (e.code === 'E_TOKEN_MISSING' || e.code === 'E_TOKEN_INVALID') reply.header('www-authenticate', 'Bearer');
  if (e.retryAfter !== undefined) reply.header('retry-after', String(e.retryAfter));
  const path = request.url.split('?')[0] ?? '';
  const wantsHtml = !path.startsWith('/api/') && path !== '/metrics' && (request.headers.accept ?? '').includes('text/html');
  // A browser that may not read a page is sent to log in, and back here afterwards.
  if (wantsHtml && request.method === 'GET' && (e.code === 'E_TOKEN_MISSING' || e.code === 'E_LOGIN_REQUIRED') && !path.startsWith('/fragments/')) {
    return reply.code(303).header('location', `/login?next=${encodeURIComponent(request.url)}`).header('cache-control', 'no-store').send();
  }
  reply.code(e.status).header('cache-control', 'no-store');
  return wantsHtml ? reply.type('text/html; charset=utf-8').send(errorPage(e)) : reply.send(e.body());
}
