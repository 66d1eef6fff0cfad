import { batchOf, rerunOf } from '../../core/records/run-record.js';
import { collectedFiles } from '../collected.js';
import type { Job, Run } from '../../store/index.js';
import { storyOf } from '../../pipelines/registry.js';
import type { OutcomePart } from '../../pipelines/run-story.js';
import { cellState, CELL_LABELS, CELL_SYMBOLS, endedBadly } from '../cell-state.js';
import type { WebDeps } from '../deps.js';
import { logErrors } from '../excerpt-adapter.js';
import { html, type SafeHtml } from '../html.js';
import { collectedUrl, jobUrl, logUrl, runUrl, updateUrl } from '../views.js';
import { duration, runBadge, runSubject, statusBadge, when } from './format.js';
import { runActions, whoBar, type PageViewer } from './actions.js';
import { layout, liveRegion } from './layout.js';
import { notificationsSection } from './notifications.js';
import { specView } from '../../engine/job-spec-view.js';
import { setAwaitingApproval } from '../../pipelines/promote/gates.js';
import { jobProvenance, waiversSection } from './waivers.js';

export async function runPage(d: WebDeps, run: Run, viewer?: PageViewer): Promise<string> {
  return layout({
    title: `Run ${run.id}`, scripts: ['live.js'], who: whoBar(viewer),
    body: html`${runActions(viewer, run, viewer ? await setAwaitingApproval(d.store, run) : undefined)}${liveRegion({ events: `/api/events?run=${encodeURIComponent(run.id)}`, fragment: `/fragments/runs/${encodeURIComponent(run.id)}`, body: await runFragment(d, run) })}`,
  });
}

export async function runFragment(d: WebDeps, run: Run): Promise<SafeHtml> {
  const jobs = await d.store.listJobs(run.id);
  const now = d.now();
  // Jobs that did not pass come first, each with its error lines: zero clicks to the error.
  const order = (j: Job) => (endedBadly(j) ? 0 : j.state !== 'finished' ? 1 : 2);
  const details = await Promise.all([...jobs].sort((a, b) => order(a) - order(b)).map((j) => jobDetail(j, now)));
  return html`
<h1>Run <span class="id">${run.id}</span> ${runBadge(run)}</h1>
<dl class="facts">
<dt>pipeline</dt><dd>${run.pipeline}</dd>
<dt>of</dt><dd>${runSubject(run)}${batchLinks(run)}</dd>
${run.reason ? html`<dt>why</dt><dd class="why">${run.reason}</dd>` : ''}
<dt>created</dt><dd>${when(run.createdAt)}</dd>
<dt>ran</dt><dd>${run.startedAt === null ? html`<span class="muted">not started</span>` : html`${when(run.startedAt)} for ${duration(run.startedAt, run.finishedAt ?? now)}`}</dd>
${run.cancelRequestedAt !== null ? html`<dt>cancel</dt><dd>requested ${when(run.cancelRequestedAt)}</dd>` : ''}
${rerunLink(run)}
</dl>
<section><h2>Jobs</h2>${jobMatrix(jobs)}</section>
${outcome(run, jobs)}
<section class="jobs">${details}</section>
${await waiversSection(d, run)}
${await notificationsSection(d, run)}`;
}

function rerunLink(run: Run): SafeHtml | string {
  const of = rerunOf(run);
  return of ? html`<dt>recheck of</dt><dd><a href="${runUrl(of)}">${of}</a></dd>` : '';
}

function batchLinks(run: Run): SafeHtml | string {
  const ids = batchOf(run);
  if (run.updateId || !ids || ids.length === 0) return '';
  return html`: ${ids.map((id, i) => html`${i > 0 ? ', ' : ''}<a href="${updateUrl(id)}">${id}</a>`)}`;
}

/** `tests round 2, group [cl2m hz8d]: liberty/epel-7` for a phase2 job; the target for the others. */
export function jobTitle(j: Job): string {
  const spec = specView(j);
  if (spec?.group && spec.round !== undefined) return `${spec.stage === 'checks' ? 'package checks' : 'tests'} round ${spec.round}, group [${spec.group.join(' ')}]: ${j.target}`;
  if (spec?.stage === 'stage') return `stage tests: ${j.target}`;
  return j.target;
}

/** A phase2 job tests a group in one round of a stage: its row says which; a phase1 job's row is its update. */
function rowOf(j: Job): string {
  const spec = specView(j);
  if (spec?.group && spec.round !== undefined) return `${spec.stage === 'checks' ? 'checks' : 'tests'} r${spec.round} [${spec.group.join(' ')}]`;
  if (spec?.stage === 'stage') return 'stage';
  return spec?.updateId ?? 'jobs';
}

function jobMatrix(jobs: readonly Job[]): SafeHtml {
  if (jobs.length === 0) return html`<p class="muted">No job yet (a controlled run adds its jobs round by round).</p>`;
  const targets = [...new Set(jobs.map((j) => j.target))];
  const rows = [...new Set(jobs.map(rowOf))];
  return html`<table class="matrix run-matrix"><thead><tr><th></th>${targets.map((t) => html`<th scope="col">${t}</th>`)}</tr></thead><tbody>
${rows.map((row) => html`<tr><th scope="row">${row}</th>${targets.map((t) => {
    const j = jobs.find((x) => x.target === t && rowOf(x) === row);
    if (!j) return html`<td class="cell na"></td>`;
    const s = cellState(j);
    return html`<td class="cell st-${s}" data-job="${j.id}" data-status="${s}"><a href="#job-${j.id}"><span class="cell-state">${CELL_SYMBOLS[s]} ${CELL_LABELS[s]}</span>${j.attempt > 1 ? html`<span class="attempt">attempt ${j.attempt}/${j.maxAttempts}</span>` : ''}</a></td>`;
  })}</tr>`)}
</tbody></table>`;
}

/**
 * A job's card: its title names the round and group of a phase2 job (several cards of
 * one target are told apart), its id links to the job's own page.
 */
export async function jobDetail(j: Job, now: number): Promise<SafeHtml> {
  const s = cellState(j);
  const errors = endedBadly(j) && j.logPath ? await logErrors(j.logPath, j.excerpt) : undefined;
  const why = j.result === 'skipped' ? j.skipReason : j.state === 'finished' && j.result !== 'success' ? j.reason : null;
  const collected = j.state === 'finished' ? collectedFiles(j) : [];
  return html`<article class="job st-${s}" id="job-${j.id}" data-job="${j.id}" data-status="${s}">
<h3>${jobTitle(j)} ${statusBadge(s)} <a class="muted id" href="${jobUrl(j.id)}">${j.id}</a></h3>
<p class="job-facts">${j.attempt > 0 ? html`attempt ${j.attempt}/${j.maxAttempts}${j.interruptions > 0 ? ` (${j.interruptions} lost to a stopped worker and given back)` : ''}` : 'not started'}${j.node ? html` · node ${j.node}` : ''}${j.startedAt !== null ? html` · ${duration(j.startedAt, j.finishedAt ?? now)}` : ''}</p>
${why ? html`<p class="why">${why}</p>` : ''}
${jobProvenance(j)}
${errors ? html`<div class="excerpt"><p>the error lines of ${errors.totalLines}:</p><pre>${errors.lines.map((l, i) => html`${i > 0 && l.n > (errors.lines[i - 1]?.n ?? 0) + 1 ? html`<span class="gap">⋮</span>\n` : ''}<span class="${l.hit ? 'hit' : 'ctx'}"><a class="ln" href="${logUrl(j.id, l.n)}">${l.n}</a>${l.text}</span>\n`)}</pre></div>` : ''}
${j.logPath ? html`<p><a class="full-log" href="${logUrl(j.id, errors?.first)}">${errors ? 'full log, at the error' : 'log'}</a>${s === 'running' ? ' (growing)' : ''}</p>` : ''}
${collected.length > 0 ? html`<p class="collected">from the node: ${collected.map((f, i) => html`${i > 0 ? ', ' : ''}<a href="${collectedUrl(j.id, f.name)}">${f.name}</a> <span class="muted">(${f.bytes} bytes)</span>`)}</p>` : ''}
</article>`;
}

/** The run's outcome as its pipeline tells it, updates and jobs linked. */
function outcome(run: Run, jobs: readonly Job[]): SafeHtml | string {
  // Safe when there is no outcome: the stories tell it from the outcome, phase1 from its inputs and jobs.
  const items = storyOf(run).outcomeItems(run, jobs);
  if (items.length === 0) return '';
  const part = (p: OutcomePart) => (typeof p === 'string' ? p : 'update' in p ? html`<a href="${updateUrl(p.update)}">${p.update}</a>` : html`<a href="#job-${p.job}">${p.job}</a>`);
  return html`<section class="outcome"><h2>Outcome</h2><ul>
${items.map((i) => html`<li${i.culprit ? html` class="culprit"` : ''}>${i.parts.map(part)}</li>\n`)}</ul></section>`;
}
