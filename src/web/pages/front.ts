import type { Config } from '../../core/config.js';
import type { Run } from '../../store/index.js';
import { cellState, CELL_LABELS, CELL_SYMBOLS } from '../cell-state.js';
import type { WebDeps } from '../deps.js';
import { html, type SafeHtml } from '../html.js';
import { readLadder, type Ladder } from '../ladder.js';
import { recentAndUnfinishedRuns, targetViews, type RunWithJobs, type TargetView } from '../queries.js';
import { runUrl } from '../views.js';
import { duration, runBadge, runSubject, when } from './format.js';
import { frontActions, whoBar, type PageViewer } from './actions.js';
import { layout, liveRegion } from './layout.js';

export async function frontPage(d: WebDeps, viewer?: PageViewer): Promise<string> {
  const states = viewer ? await d.store.listTargetStates(d.now()) : [];
  const disabled = new Set(states.filter((s) => s.disabled).map((s) => s.target));
  const targets = Object.keys(d.site.config.targets).map((target) => ({ target, disabled: disabled.has(target) }));
  return layout({
    title: 'Matrix', scripts: ['live.js'], who: whoBar(viewer),
    body: html`${frontActions(viewer, targets)}${liveRegion({ events: '/api/events', fragment: '/fragments/front', body: await frontFragment(d) })}`,
  });
}

/** Everything of the front page that changes: reloaded by live.js on each burst of events. */
export async function frontFragment(d: WebDeps): Promise<SafeHtml> {
  const now = d.now();
  // The recent and unfinished runs with their jobs are read once and shared by the parts.
  const [runs, ladder] = await Promise.all([recentAndUnfinishedRuns(d.store), readLadder(d.store, d.site.resolvePath(d.site.config.update_repo))]);
  const targets = await targetViews(d.store, d.site.config, now, runs);
  const { open } = runs;
  const recent = runs.recent.slice(0, 12).map((r) => r.run);
  return html`
<section class="ladder-box"><h2>The ladder</h2>${ladderView(ladder)}</section>
<section><h2>Targets</h2><p class="muted caption">The newest job on each target among recent runs; a disabled target says why, until when and by whom.</p>${matrix(d.site.config, targets, now)}</section>
<section><h2>Runs in progress <span class="count">${open.length}</span></h2>${inProgress(open, now)}</section>
<section><h2>Queue <span class="count">${open.flatMap((r) => r.jobs).filter((j) => j.state === 'queued').length}</span></h2>${queue(open, now)}</section>
<section><h2>Recent runs</h2>${runTable(recent.filter((r) => r.state === 'finished').slice(0, 8))}<p><a href="/runs">all runs</a></p></section>`;
}

function ladderView(l: Ladder): SafeHtml {
  const rung = (name: string, count: SafeHtml | number, note: string) => html`<li class="rung"><span class="rung-name">${name}</span><span class="rung-count">${count}</span><span class="rung-note">${note}</span></li>`;
  return html`<ol class="ladder">
${rung('updates/', l.updates, 'passed phase1, wait for phase2')}
${rung('ready/', l.ready, 'passed phase2, wait for promote')}
${rung('stage', l.stage ? html`<a href="${runUrl(l.stage.runId)}">${l.stage.updates}</a>` : 0, l.stage ? 'being promoted now' : 'no promote running')}
${rung('production', l.production, `pushed${l.failed ? `; ${l.failed} refused (failed/)` : ''}`)}
</ol>`;
}

/** Releases down, dists across; a pair the configuration does not have is left blank. */
function matrix(config: Config, targets: readonly TargetView[], now: number): SafeHtml {
  const byKey = new Map(targets.map((t) => [t.target, t]));
  const dists = Object.keys(config.dists).filter((dist) => targets.some((t) => t.dist === dist));
  const releases = config.releases.filter((r) => targets.some((t) => t.release === r));
  return html`<table class="matrix">
<thead><tr><th></th>${dists.map((dist) => html`<th scope="col">${dist}</th>`)}</tr></thead>
<tbody>${releases.map((release) => html`<tr><th scope="row">${release}</th>${dists.map((dist) => {
    const t = byKey.get(`${release}/${dist}`);
    return t ? targetCell(t, now) : html`<td class="cell na" title="not a target"></td>`;
  })}</tr>`)}</tbody>
</table>`;
}

function targetCell(t: TargetView, now: number): SafeHtml {
  const status = t.disabled ? 'skipped' : t.running > 0 ? 'running' : t.status;
  const cls = t.disabled ? 'disabled' : `st-${status}`;
  const head = t.disabled
    ? html`<span class="cell-state">⊘ disabled</span><span class="why">${t.disabled.reason}</span><span class="until">${t.disabled.until === null ? 'until enabled' : html`until ${when(t.disabled.until)} (${duration(now, t.disabled.until)})`} · by ${t.disabled.by}</span>`
    : html`<span class="cell-state">${CELL_SYMBOLS[status]} ${CELL_LABELS[status]}</span>`;
  const last = t.last ? html`<a class="last" href="${runUrl(t.last.runId)}#job-${t.last.jobId}">${t.last.label} · ${when(t.last.at)}</a>` : html`<span class="last muted">no run yet</span>`;
  const busy = t.running + t.queued > 0 ? html`<span class="busy">${t.running} running, ${t.queued} queued</span>` : '';
  return html`<td class="cell ${cls}" data-target="${t.target}" data-status="${t.disabled ? 'disabled' : status}">${head}${last}${busy}</td>`;
}

function inProgress(open: readonly RunWithJobs[], now: number): SafeHtml {
  if (open.length === 0) return html`<p class="muted">Nothing is running.</p>`;
  return html`<table class="list"><thead><tr><th>run</th><th>pipeline</th><th>of</th><th>state</th><th>jobs</th><th>since</th></tr></thead><tbody>
${open.map(({ run, jobs }) => html`<tr data-run="${run.id}"><td><a href="${runUrl(run.id)}">${run.id}</a></td><td>${run.pipeline}</td><td>${runSubject(run)}</td><td>${runBadge(run)}</td>
<td class="minis">${jobs.map((j) => { const s = cellState(j); return html`<a class="mini st-${s}" href="${runUrl(run.id)}#job-${j.id}" title="${j.target}: ${CELL_LABELS[s]}">${CELL_SYMBOLS[s]}</a>`; })} ${jobs.filter((j) => j.state === 'finished').length}/${jobs.length}</td>
<td>${duration(run.startedAt ?? run.createdAt, now)}</td></tr>`)}
</tbody></table>`;
}

function queue(open: readonly RunWithJobs[], now: number): SafeHtml {
  const queued = open.flatMap(({ run, jobs }) => jobs.filter((j) => j.state === 'queued').map((j) => ({ run, j })));
  if (queued.length === 0) return html`<p class="muted">No job is waiting for a node.</p>`;
  return html`<table class="list"><thead><tr><th>job</th><th>target</th><th>kind</th><th>attempt</th><th>waiting</th></tr></thead><tbody>
${queued.slice(0, 50).map(({ run, j }) => html`<tr><td><a href="${runUrl(run.id)}#job-${j.id}">${j.id}</a></td><td>${j.target}</td><td>${j.kind}</td><td>${j.attempt}/${j.maxAttempts}</td><td>${duration(j.createdAt, now)}${j.availableAt > now ? ` (retry in ${duration(now, j.availableAt)})` : ''}</td></tr>`)}
</tbody></table>${queued.length > 50 ? html`<p class="muted">and ${queued.length - 50} more (GET /api/jobs?state=queued)</p>` : ''}`;
}

export function runTable(runs: readonly Run[]): SafeHtml {
  if (runs.length === 0) return html`<p class="muted">No run yet.</p>`;
  return html`<table class="list"><thead><tr><th>run</th><th>pipeline</th><th>of</th><th>verdict</th><th>why</th><th>created</th></tr></thead><tbody>
${runs.map((r) => html`<tr data-run="${r.id}"><td><a href="${runUrl(r.id)}">${r.id}</a></td><td>${r.pipeline}</td><td>${runSubject(r)}</td><td>${runBadge(r)}</td><td class="why">${r.reason ?? ''}</td><td>${when(r.createdAt)}</td></tr>`)}
</tbody></table>`;
}

