import { batchOf } from '../../core/records/run-record.js';
import type { Run } from '../../store/index.js';
import { CELL_LABELS, CELL_SYMBOLS, type CellState } from '../cell-state.js';
import { html, type SafeHtml } from '../html.js';

/** `2015-11-20 14:03:07Z`: UTC, as schedules and logs speak it. */
export function when(ms: number | null): SafeHtml {
  if (ms === null) return html`<span class="muted">–</span>`;
  const iso = new Date(ms).toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 19).replace('T', ' ')}Z</time>`;
}

export function duration(from: number | null, to: number | null): string {
  if (from === null || to === null) return '';
  const s = Math.max(0, Math.round((to - from) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/** A cell's status as words and a symbol; the class gives the colour. */
export function statusBadge(status: CellState): SafeHtml {
  return html`<span class="badge st-${status}" data-status="${status}">${CELL_SYMBOLS[status]} ${CELL_LABELS[status]}</span>`;
}

const VERDICT_CLASS: Readonly<Record<string, CellState>> = { pass: 'success', fail: 'failure', error: 'infra', held: 'skipped', cancelled: 'cancelled' };

/** A run's verdict, or its state while it has none (never shown as a failure before it is one). */
export function runBadge(run: Run): SafeHtml {
  if (run.verdict) return html`<span class="badge st-${VERDICT_CLASS[run.verdict] ?? 'none'}" data-verdict="${run.verdict}">${run.verdict.toUpperCase()}</span>`;
  const status: CellState = run.state === 'running' ? 'running' : 'queued';
  return html`<span class="badge st-${status}" data-state="${run.state}">${run.state}</span>`;
}

/** What a run is of: its update, or the size of a phase2 batch / promote set. */
export function runSubject(run: Run): SafeHtml {
  if (run.updateId) return html`<a href="/updates/${encodeURIComponent(run.updateId)}">${run.updateId}</a>`;
  const ids = batchOf(run);
  if (!ids) return html`<span class="muted">–</span>`;
  return html`${ids.length} update${ids.length === 1 ? '' : 's'}`;
}
