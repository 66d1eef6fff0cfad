import type { Job } from '../../store/index.js';
import { cellState } from '../cell-state.js';
import type { LogErrors } from '../excerpt-adapter.js';
import { html } from '../html.js';
import type { LogIndex } from '../log-file.js';
import { runUrl } from '../views.js';
import { statusBadge } from './format.js';
import { layout } from './layout.js';

/** Lines the viewer shows at once; log.js fetches more by the same amount. */
export const WINDOW = 500;

/** Where the viewer opens: the line asked for, else the error, else the end of the log. */
export function logWindow(index: LogIndex, errors: LogErrors | undefined, line: number | undefined): { from: number; count: number; focus: number } {
  const focus = Math.min(Math.max(1, line ?? errors?.first ?? index.totalLines), Math.max(1, index.totalLines));
  const from = Math.max(1, Math.min(focus - 100, index.totalLines - WINDOW + 1));
  return { from, count: WINDOW, focus };
}

/**
 * The log viewer: a window of the log around the error, the error lines marked, each line
 * a link. log.js moves the window (earlier, later, to a linked line) by byte-range reads
 * of the API, and follows a running job's log as it grows; without it the links still work.
 */
export function logPage(job: Job, index: LogIndex, errors: LogErrors | undefined, win: { from: number; focus: number }, lines: readonly string[]): string {
  const s = cellState(job);
  const hits = new Set(errors?.hits ?? []);
  const raw = `/jobs/${encodeURIComponent(job.id)}/log.txt`;
  return layout({
    title: `Log of ${job.id}`, scripts: ['log.js'],
    body: html`<main class="log-page">
<h1>Log of <a href="${runUrl(job.runId)}#job-${job.id}">${job.id}</a> ${statusBadge(s)}</h1>
<p class="toolbar">${errors ? html`<a id="to-error" href="?line=${errors.first}#L${errors.first}">jump to the error (line ${errors.first})</a> · ` : html`<span class="muted">no error lines found</span> · `}<a id="to-top" href="?line=1#L1">top</a> · <a id="to-end" href="?line=${index.totalLines}#L${index.totalLines}">end</a> · <span class="muted"><span id="total">${index.totalLines}</span> lines, ${Math.ceil(index.size / 1024)} KiB</span> · <a href="${raw}">raw</a></p>
<div id="log" data-job="${job.id}" data-total="${index.totalLines}" data-from="${win.from}" data-focus="${win.focus}" data-size="${index.size}" data-err-lines="${(errors?.hits ?? []).join(' ')}" data-follow="${s === 'running' ? 'yes' : 'no'}">
${win.from > 1 ? html`<p><a id="earlier" class="more" href="?line=${Math.max(1, win.from - WINDOW)}#L${Math.max(1, win.from - WINDOW)}">earlier lines</a></p>` : ''}
<pre id="lines">${lines.map((text, i) => {
    const n = win.from + i;
    return html`<span id="L${n}" class="line${hits.has(n) ? ' err' : ''}${n === win.focus ? ' target' : ''}"><a class="ln" href="?line=${n}#L${n}">${n}</a>${text}\n</span>`;
  })}</pre>
${win.from + lines.length - 1 < index.totalLines || s === 'running' ? html`<p><a id="later" class="more" href="?line=${win.from + lines.length}#L${win.from + lines.length}">later lines</a></p>` : ''}
</div>
</main>`,
  });
}

/** A job whose log retention deleted: the page says when, with the excerpt the store kept on the job's page. */
export function prunedLogPage(job: Job, note: string): string {
  return layout({
    title: `Log of ${job.id}`,
    body: html`<main class="log-page">
<h1>Log of <a href="${runUrl(job.runId)}#job-${job.id}">${job.id}</a> ${statusBadge(cellState(job))}</h1>
<p class="muted" id="pruned">${note}</p>
</main>`,
  });
}
