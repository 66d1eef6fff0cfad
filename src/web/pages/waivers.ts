import { updateFileOf } from '../../core/records/run-record.js';
import { describeWaiver, waiverStanding } from '../../core/waivers.js';
import type { Job, Run } from '../../store/index.js';
import type { WebDeps } from '../deps.js';
import { html, type SafeHtml } from '../html.js';
import { runUrl } from '../views.js';
import { when } from './format.js';

const STANDING_CLASS = { active: 'success', expired: 'queued', revoked: 'failure' } as const;

/** The waivers of the run's update and content (docs/lifecycle.md, "Waivers"): who waived what, why, until when; nothing when none. */
export async function waiversSection(d: WebDeps, run: Run): Promise<SafeHtml | string> {
  const file = updateFileOf(run);
  if (!file) return '';
  const waivers = await d.store.listWaivers({ updateId: file.updateId, contentHash: file.contentHash });
  if (waivers.length === 0) return '';
  const now = d.now();
  return html`<section class="waivers"><h2>Waivers of this content</h2><table class="waivers">
<thead><tr><th scope="col">waiver</th><th scope="col">target</th><th scope="col">by</th><th scope="col">reason</th><th scope="col">until</th><th scope="col">standing</th></tr></thead><tbody>
${waivers.map((w) => {
    const standing = waiverStanding(w, now);
    return html`<tr data-waiver="${w.id}" data-standing="${standing}"><td class="id">${w.id}</td><td>${w.target}${w.test ? html` <span class="muted">test ${w.test}</span>` : ''}</td><td>${w.by} ${when(w.createdAt)}</td><td class="why">${w.reason}</td><td>${when(w.expiresAt)}</td><td><span class="badge st-${STANDING_CLASS[standing]}">${standing}</span>${w.revokedAt !== null ? html` <span class="muted">by ${w.revokedBy ?? '?'}: ${w.revokeReason ?? ''}</span>` : ''}</td></tr>\n`;
  })}
</tbody></table></section>`;
}

/** Under a job's reason: the waiver that covered its failure, or the run its carried pass came from. */
export function jobProvenance(j: Job): SafeHtml | string {
  if (j.result === 'failure' && j.waiver) return html`<p class="waived" data-waiver="${j.waiver.id}">failure waived ${describeWaiver(j.waiver)}: it counts as passed</p>`;
  if (j.carriedFrom) {
    // A phase1 job id is RUN.TARGET, and run ids have no dot.
    const from = j.carriedFrom.slice(0, j.carriedFrom.indexOf('.') > 0 ? j.carriedFrom.indexOf('.') : undefined);
    return html`<p class="carried">not run again: passed in run <a href="${runUrl(from)}">${from}</a> (recheck failed)</p>`;
  }
  return '';
}
