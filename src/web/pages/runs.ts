import { RUN_VERDICTS, type Run } from '../../store/index.js';
import { html } from '../html.js';
import { runTable } from './front.js';
import { layout } from './layout.js';

/** Every run, newest first, a page at a time; the query string is the API's (pipeline, state, verdict, update). */
export function runsPage(runs: readonly Run[], next: string | null, query: Readonly<Record<string, string | number | undefined>>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && k !== 'before') params.set(k, String(v));
  if (next) params.set('before', next);
  return layout({
    title: 'Runs',
    body: html`<main><h1>Runs</h1>
<p class="filters">${['phase1', 'phase2', 'promote'].map((p) => html`<a href="/runs?pipeline=${p}">${p}</a> `)}· ${RUN_VERDICTS.map((v) => html`<a href="/runs?verdict=${v}">${v}</a> `)}· <a href="/runs?state=running">running</a> <a href="/runs?state=queued">queued</a> · <a href="/runs">all</a></p>
${runTable(runs)}
${next ? html`<p><a rel="next" href="/runs?${params.toString()}">older runs</a></p>` : ''}
</main>`,
  });
}
