import type { Run } from '../../store/index.js';
import type { UpdateView } from '../api/reads.js';
import { html } from '../html.js';
import type { Folder } from '../ladder.js';
import { runTable } from './front.js';
import { when } from './format.js';
import { layout } from './layout.js';

const RUNGS: readonly { folder: Folder | 'submitted'; name: string }[] = [
  { folder: 'submitted', name: 'submitted' },
  { folder: 'updates', name: 'updates/' },
  { folder: 'ready', name: 'ready/' },
  { folder: 'pushed', name: 'production (pushed/)' },
];

/** An update: where it stands on the ladder, its builds, and every run that touched it. */
export function updatePage(u: UpdateView, runs: readonly Run[]): string {
  const at = u.folder ?? 'submitted';
  return layout({
    title: `Update ${u.id}`,
    body: html`<main>
<h1>Update <span class="id">${u.id}</span></h1>
<ol class="ladder small">${RUNGS.map((r) => html`<li class="rung${r.folder === at ? ' here' : ''}">${r.name}</li>`)}${at === 'failed' ? html`<li class="rung here refused">failed/ (refused by promote)</li>` : ''}</ol>
<p class="where">Now: <strong>${whereNow(u)}</strong></p>
<dl class="facts">
${u.topic ? html`<dt>topic</dt><dd>${u.topic}</dd>` : ''}
${u.author ? html`<dt>author</dt><dd>${u.author}</dd>` : ''}
${u.path ? html`<dt>file</dt><dd>${u.path}</dd>` : ''}
<dt>first seen</dt><dd>${when(u.firstSeenAt)}</dd>
<dt>changed</dt><dd>${when(u.updatedAt)}</dd>
</dl>
${u.notes ? html`<section><h2>Notes</h2><pre class="notes">${u.notes}</pre></section>` : ''}
<section><h2>Builds</h2>${u.builds.length === 0 ? html`<p class="muted">Not known: the update was never submitted here.</p>` : html`<table class="list"><thead><tr><th>build</th><th>release</th><th>dist</th><th>source</th></tr></thead><tbody>
${u.builds.map((b) => html`<tr><td>${b.id}</td><td>${b.repo}</td><td>${b.dist}</td><td>${b.source}</td></tr>`)}</tbody></table>`}</section>
<section><h2>Runs that touched it</h2>${runTable(runs)}</section>
</main>`,
  });
}

function whereNow(u: UpdateView): string {
  switch (u.folder) {
    case 'updates': return 'in updates/: passed phase1, waits for phase2';
    case 'ready': return 'in ready/: passed phase2, waits for promote';
    case 'pushed': return 'pushed to production';
    case 'failed': return 'in failed/: refused by promote';
    default: return u.runs.length > 0 ? 'submitted, not merged (see its runs)' : 'not known to the update repository';
  }
}
