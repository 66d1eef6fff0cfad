import type { Job, Run, StoredEvent } from '../../store/index.js';
import type { WebDeps } from '../deps.js';
import { html, type SafeHtml } from '../html.js';
import { runUrl } from '../views.js';
import { runSubject, when } from './format.js';
import { layout, liveRegion } from './layout.js';
import { jobDetail, jobTitle } from './run.js';

/**
 * A job's own page, at the id every command and page prints (`/jobs/ID`): which run it
 * belongs to, its card as the run page shows it (status, why, error lines, log), and the
 * history of its attempts.
 */
export async function jobPage(d: WebDeps, job: Job, run: Run): Promise<string> {
  const events = (await d.store.listEvents({ runId: run.id, limit: 100_000 })).filter((e) => e.jobId === job.id);
  return layout({
    title: `Job ${job.id}`, scripts: ['live.js'],
    body: liveRegion({
      events: `/api/events?run=${encodeURIComponent(run.id)}`, fragment: `/fragments/jobs/${encodeURIComponent(job.id)}`,
      body: await jobFragment(d, job, run, events),
    }),
  });
}

export async function jobFragment(d: WebDeps, job: Job, run: Run, events?: readonly StoredEvent[]): Promise<SafeHtml> {
  const history = events ?? (await d.store.listEvents({ runId: run.id, limit: 100_000 })).filter((e) => e.jobId === job.id);
  return html`
<h1>Job <span class="id">${job.id}</span></h1>
<dl class="facts">
<dt>run</dt><dd><a href="${runUrl(run.id)}">${run.id}</a> (${run.pipeline} of ${runSubject(run)})</dd>
<dt>job</dt><dd>${jobTitle(job)}</dd>
<dt>created</dt><dd>${when(job.createdAt)}</dd>
</dl>
<section class="jobs">${await jobDetail(job, d.now())}</section>
${history.length > 0 ? html`<section><h2>Attempts</h2><ul class="history">${history.map((e) => html`<li>${when(e.at)} ${describe(e)}</li>`)}</ul></section>` : ''}`;
}

function describe(e: StoredEvent): string {
  switch (e.kind) {
    case 'job.started': return `attempt ${e.payload.attempt} started on worker ${e.payload.worker}`;
    case 'job.retried': return `attempt ${e.payload.attempt}: ${e.payload.reason ?? ''}${e.payload.givenBack ? '; the attempt given back' : '; retried on a fresh node'}`;
    case 'job.reclaimed': return `attempt ${e.payload.attempt}: worker ${e.payload.worker ?? '?'} stopped answering; the job was reclaimed`;
    case 'job.finished': return `${e.payload.result}${e.payload.reason ? `: ${e.payload.reason}` : ''}`;
    case 'unreadable': return `${e.storedKind} (unreadable: ${e.problem})`;
    default: return e.kind;
  }
}
