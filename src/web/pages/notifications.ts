import type { Run } from '../../store/index.js';
import type { WebDeps } from '../deps.js';
import { html, type SafeHtml } from '../html.js';
import { notificationView } from '../notification-view.js';
import { when } from './format.js';

const STATE_CLASS = { delivered: 'success', pending: 'queued', failed: 'failure' } as const;

/** The run's notifications (`notify:` rules): who was told, how it went, every attempt; nothing when none was due. */
export async function notificationsSection(d: WebDeps, run: Run): Promise<SafeHtml | string> {
  const items = (await d.store.listNotifications({ runId: run.id })).map(notificationView);
  if (items.length === 0) return '';
  return html`<section class="notifications"><h2>Notifications</h2><table class="notifications">
<thead><tr><th scope="col">rule</th><th scope="col">to</th><th scope="col">state</th><th scope="col">attempts</th><th scope="col">last answer</th></tr></thead><tbody>
${items.map((n) => html`<tr data-notification="${n.id}" data-state="${n.state}"><td>${n.rule}</td><td>${n.recipient}</td><td><span class="badge st-${STATE_CLASS[n.state]}">${n.state}</span>${n.nextAttemptAt !== null && n.attempts > 0 ? html` <span class="muted">next ${when(n.nextAttemptAt)}</span>` : ''}</td><td>${n.attempts}/${n.maxAttempts}</td><td>${n.history.length > 0 ? html`<details><summary>${n.history[n.history.length - 1]?.detail ?? ''}</summary><ol>${n.history.map((a) => html`<li>${when(a.startedAt)} ${a.ok ? 'delivered' : 'failed'}: ${a.detail}</li>`)}</ol></details>` : html`<span class="muted">not tried yet</span>`}</td></tr>\n`)}
</tbody></table></section>`;
}
