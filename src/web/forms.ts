import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ApiError, validate } from './api-error.js';
import type { Authenticator, Viewer } from './auth.js';
import type { WebDeps } from './deps.js';
import { recheckFailedAs } from './waivers.js';
import { approveAs, cancelAs, disableAs, enableAs, recheckAs, startAs } from './operations.js';
import { loginBody, whoBar, type PageViewer } from './pages/actions.js';
import { layout } from './pages/layout.js';
import { LOGIN_COOKIE, parseCookies, SESSION_COOKIE, setCookie } from './session.js';
import { PipelineParams, RunParams, TargetParams } from './schemas.js';
import { runUrl } from './views.js';

const LOGIN_NONCE_SECONDS = 600;
const csrfField = z.string().max(200).optional();
const LoginForm = z.object({ token: z.string().max(500).default(''), login: z.string().max(100).default(''), next: z.string().max(500).default('/') });
const CsrfForm = z.object({ csrf: csrfField });
const ApproveForm = z.object({ csrf: csrfField, set: z.string().regex(/^[0-9a-fA-F]{6,64}$/, { error: 'set must be the set hash the page showed' }) });
const DisableForm = z.object({
  csrf: csrfField,
  target: z.string().regex(/^[A-Za-z0-9._+-]{1,64}\/[A-Za-z0-9._+-]{1,64}$/, { error: 'target is RELEASE/DIST' }),
  reason: z.string().trim().min(1, { error: 'reason must say why the target is red' }).max(500),
  until: z.string().max(40).optional(),
});

/** Where a login goes back to: a path of this server only (never `//host`, never a URL). */
function safeNext(next: string): string {
  return /^\/(?![/\\])[^\s\\]*$/.test(next) ? next : '/';
}

export function pageViewer(auth: Authenticator, v: Viewer | undefined): PageViewer | undefined {
  return v ? { identity: v.identity, csrf: auth.sessions.csrfToken(v.csrfBinding) } : undefined;
}

/**
 * The dashboard's login, logout and buttons. A login trades a pasted token for a signed
 * session cookie (HttpOnly, SameSite=Strict); every button is a form that carries its
 * session's CSRF token, checked before anything is done; each action is the API's, in the
 * session's person's name, and answers with a redirect to what it changed.
 */
export function registerForms(app: FastifyInstance, d: WebDeps, auth: Authenticator, secure: (request: FastifyRequest) => boolean): void {
  // Forms only: the API speaks JSON alone.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (request, body, done) => {
    if (request.url.startsWith('/api/')) return done(new ApiError('E_MEDIA_TYPE', 'the request body must be JSON (Content-Type: application/json)'), undefined);
    done(null, Object.fromEntries(new URLSearchParams(typeof body === 'string' ? body : body.toString('utf8'))));
  });
  const html = (reply: FastifyReply, body: string, status = 200) => reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
  const seeOther = (reply: FastifyReply, to: string) => reply.code(303).header('location', to).header('cache-control', 'no-store').send();

  const loginPage = (request: FastifyRequest, reply: FastifyReply, next: string, problem?: string) => {
    const nonce = randomBytes(16).toString('base64url');
    reply.header('set-cookie', setCookie(LOGIN_COOKIE, nonce, { maxAgeSeconds: LOGIN_NONCE_SECONDS, path: '/login', secure: secure(request) }));
    const viewer = pageViewer(auth, request.viewer);
    return html(reply, layout({ title: 'Log in', who: whoBar(viewer), body: loginBody({ nonce, next: safeNext(next), viewer, ...(problem ? { problem } : {}) }) }), problem ? 401 : 200);
  };

  app.get('/login', { config: { access: 'public' } }, async (request, reply) => {
    const { next } = validate(z.object({ next: z.string().max(500).default('/') }), request.query ?? {}, 'query');
    return loginPage(request, reply, next);
  });

  app.post('/login', { config: { access: 'public' } }, async (request, reply) => {
    const form = validate(LoginForm, request.body ?? {}, 'body');
    const nonce = parseCookies(request.headers.cookie).get(LOGIN_COOKIE);
    // The nonce proves the form is this server's page, not another site's (no login CSRF).
    if (!nonce || form.login !== nonce) throw new ApiError('E_CSRF', 'the login form is stale or came from another site: open /login again');
    const entry = auth.tokenEntry(form.token.trim());
    if (!entry) return loginPage(request, reply, form.next, 'That token is not one this server knows.');
    const { cookie } = auth.sessions.issue(entry.person, auth.sessionKeyOf(entry), d.now(), auth.sessionTtlMs);
    reply.header('set-cookie', [
      setCookie(SESSION_COOKIE, cookie, { maxAgeSeconds: auth.sessionTtlMs / 1000, secure: secure(request) }),
      setCookie(LOGIN_COOKIE, '', { maxAgeSeconds: 0, path: '/login', secure: secure(request) }),
    ]);
    request.log.info({ person: entry.person }, 'dashboard login');
    return seeOther(reply, safeNext(form.next));
  });

  /** The form's person, once its CSRF token is checked against their session. */
  const formActor = (request: FastifyRequest, csrf: string | undefined) => {
    const v = request.viewer;
    if (!v) throw new ApiError('E_LOGIN_REQUIRED', 'log in first (/login): the dashboard\'s buttons need a session');
    if (!auth.sessions.checkCsrf(v.csrfBinding, csrf)) throw new ApiError('E_CSRF', 'this form\'s CSRF token is missing or not this session\'s: reload the page and try again; nothing was done');
    return v.identity;
  };
  const form = { config: { access: 'form' as const } };

  app.post('/logout', form, async (request, reply) => {
    formActor(request, validate(CsrfForm, request.body ?? {}, 'body').csrf);
    reply.header('set-cookie', setCookie(SESSION_COOKIE, '', { maxAgeSeconds: 0, secure: secure(request) }));
    return seeOther(reply, '/');
  });
  app.post('/actions/runs/:id/recheck', form, async (request, reply) => {
    const who = formActor(request, validate(CsrfForm, request.body ?? {}, 'body').csrf);
    const r = await recheckAs(d, who, validate(RunParams, request.params, 'path').id);
    return seeOther(reply, runUrl(r.runId));
  });
  app.post('/actions/runs/:id/recheck-failed', form, async (request, reply) => {
    const who = formActor(request, validate(CsrfForm, request.body ?? {}, 'body').csrf);
    const r = await recheckFailedAs(d, who, validate(RunParams, request.params, 'path').id);
    return seeOther(reply, runUrl(r.runId));
  });
  app.post('/actions/runs/:id/cancel', form, async (request, reply) => {
    const who = formActor(request, validate(CsrfForm, request.body ?? {}, 'body').csrf);
    const { id } = validate(RunParams, request.params, 'path');
    await cancelAs(d, who, id, undefined);
    return seeOther(reply, runUrl(id));
  });
  app.post('/actions/runs/:id/approve', form, async (request, reply) => {
    const body = validate(ApproveForm, request.body ?? {}, 'body');
    const who = formActor(request, body.csrf);
    const { id } = validate(RunParams, request.params, 'path');
    await approveAs(d, who, id, body.set);
    return seeOther(reply, runUrl(id));
  });
  app.post('/actions/targets/disable', form, async (request, reply) => {
    const body = validate(DisableForm, request.body ?? {}, 'body');
    const who = formActor(request, body.csrf);
    const [release = '', dist = ''] = body.target.split('/');
    await disableAs(d, who, release, dist, body.reason, body.until);
    return seeOther(reply, '/');
  });
  app.post('/actions/targets/:release/:dist/enable', form, async (request, reply) => {
    const who = formActor(request, validate(CsrfForm, request.body ?? {}, 'body').csrf);
    const { release, dist } = validate(TargetParams, request.params, 'path');
    await enableAs(d, who, release, dist);
    return seeOther(reply, '/');
  });
  app.post('/actions/pipelines/:pipeline/start', form, async (request, reply) => {
    const who = formActor(request, validate(CsrfForm, request.body ?? {}, 'body').csrf);
    const r = await startAs(d, who, validate(PipelineParams, request.params, 'path').pipeline);
    return seeOther(reply, runUrl(r.runId));
  });
}
