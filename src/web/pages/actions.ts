import { isReadable, updateFileOf } from '../../core/records/run-record.js';
import type { Run } from '../../store/index.js';
import { html, type SafeHtml } from '../html.js';
import { recheckAction } from '../operations.js';
import { mayDo, START_ACTIONS, type Identity } from '../roles.js';

/** Who looks at a page, with the CSRF token their forms carry; undefined: nobody logged in. */
export interface PageViewer {
  readonly identity: Identity;
  readonly csrf: string;
}

const hidden = (v: PageViewer) => html`<input type="hidden" name="csrf" value="${v.csrf}">`;
const targetPath = (target: string) => target.split('/').map(encodeURIComponent).join('/');

/** The line under the header: who is logged in and the way out, or the way in. */
export function whoBar(v: PageViewer | undefined): SafeHtml {
  if (!v) return html`<p class="who"><a href="/login">log in</a></p>`;
  const roles = v.identity.roles.length === 0 ? 'no role' : v.identity.roles.join(', ');
  return html`<div class="who">${v.identity.person} <span class="muted">(${roles})</span>${v.identity.via === 'header' ? '' : html` <form class="inline" method="post" action="/logout">${hidden(v)}<button type="submit">log out</button></form>`}</div>`;
}

/**
 * The front page's buttons: start phase2 or promote, disable a target, enable a disabled
 * one; each shown only to a person whose roles allow it. Outside the live region, so a
 * reason being typed survives the page's live updates.
 */
export function frontActions(v: PageViewer | undefined, targets: readonly { target: string; disabled: boolean }[]): SafeHtml | string {
  if (!v) return '';
  const parts: SafeHtml[] = [];
  for (const [pipeline, action] of Object.entries(START_ACTIONS)) {
    if (mayDo(v.identity, action)) {
      parts.push(html`<form class="inline" method="post" action="/actions/pipelines/${pipeline}/start">${hidden(v)}<button type="submit" data-action="start-${pipeline}">start ${pipeline}</button></form>`);
    }
  }
  const enabled = targets.filter((t) => !t.disabled);
  if (mayDo(v.identity, 'disable-target') && enabled.length > 0) {
    parts.push(html`<form class="disable" method="post" action="/actions/targets/disable">${hidden(v)}
<label>target <select name="target">${enabled.map((t) => html`<option value="${t.target}">${t.target}</option>`)}</select></label>
<label>reason <input name="reason" required maxlength="500"></label>
<label>until <input name="until" placeholder="12h, 2d, ISO time" title="a duration from now or an ISO time; empty: until enabled" maxlength="40"></label>
<button type="submit" data-action="disable-target">disable</button></form>`);
  }
  if (mayDo(v.identity, 'enable-target')) {
    for (const t of targets.filter((x) => x.disabled)) {
      parts.push(html`<form class="inline" method="post" action="/actions/targets/${targetPath(t.target)}/enable">${hidden(v)}<button type="submit" data-action="enable-target" data-target="${t.target}">enable ${t.target}</button></form>`);
    }
  }
  return parts.length === 0 ? '' : html`<section class="actions"><h2>Actions</h2>${parts}</section>`;
}

/** A run page's buttons: recheck a finished run, cancel an unfinished one, approve the set a waiting promote publishes. */
export function runActions(v: PageViewer | undefined, run: Run, awaiting?: { hash: string; updates: readonly { id: string }[] }): SafeHtml | string {
  if (!v || !isReadable(run)) return '';
  const id = encodeURIComponent(run.id);
  const parts: SafeHtml[] = [];
  if (run.state === 'finished' && mayDo(v.identity, recheckAction(run.pipeline))) {
    parts.push(html`<form class="inline" method="post" action="/actions/runs/${id}/recheck">${hidden(v)}<button type="submit" data-action="recheck">recheck</button></form>`);
  }
  // `recheck failed` (docs/lifecycle.md): a finished run of one update file that did not pass.
  if (run.state === 'finished' && run.verdict !== 'pass' && run.verdict !== 'held' && updateFileOf(run) && mayDo(v.identity, 'recheck')) {
    parts.push(html`<form class="inline" method="post" action="/actions/runs/${id}/recheck-failed">${hidden(v)}<button type="submit" data-action="recheck-failed">recheck failed</button></form>`);
  }
  if (run.state !== 'finished' && mayDo(v.identity, 'cancel')) {
    parts.push(html`<form class="inline" method="post" action="/actions/runs/${id}/cancel">${hidden(v)}<button type="submit" data-action="cancel">cancel</button></form>`);
  }
  // The form carries the set the page showed: a set changed since is refused (E_APPROVAL_SET_MISMATCH), never approved unseen.
  if (awaiting && mayDo(v.identity, 'approve-promote')) {
    parts.push(html`<form class="inline" method="post" action="/actions/runs/${id}/approve">${hidden(v)}<input type="hidden" name="set" value="${awaiting.hash}"><button type="submit" data-action="approve-promote">approve set ${awaiting.hash.slice(0, 12)} (${awaiting.updates.map((u) => u.id).join(', ')})</button></form>`);
  }
  return parts.length === 0 ? '' : html`<section class="actions">${parts}</section>`;
}

/** The login page: paste a token; the form carries the nonce its cookie holds (no login from another site's page). */
export function loginBody(o: { nonce: string; next: string; viewer: PageViewer | undefined; problem?: string }): SafeHtml {
  return html`<main class="login"><h1>Log in</h1>
${o.viewer ? html`<p>Logged in as ${o.viewer.identity.person}.</p>` : ''}
${o.problem ? html`<p class="why">${o.problem}</p>` : ''}
<form method="post" action="/login">
<input type="hidden" name="login" value="${o.nonce}">
<input type="hidden" name="next" value="${o.next}">
<label>API token <input type="password" name="token" autocomplete="off" required maxlength="200"></label>
<button type="submit">log in</button>
</form>
<p class="muted">The token is checked and forgotten: the browser keeps a signed session cookie, never the token. Ask an operator for a token (<code>sluice token add</code>).</p>
</main>`;
}
