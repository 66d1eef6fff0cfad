import type { Engine } from '../engine/engine.js';
import type { Job, Run, Store } from '../store/index.js';
import type { Io } from './io.js';
import { handBackOnInterrupt } from './hand-back-on-interrupt.js';
import { jobStatus, matrixLines } from './render-run.js';

/**
 * Follows a run until its verdict is reported, showing its progress: on a terminal the
 * matrix redraws in place; in a log (CI, a pipe) each job is one line, printed when it
 * ends (or goes back to the queue for another attempt), and the run's state when it
 * changes: the progress is shown once, not as running lines followed by the whole
 * matrix again, so a 30-job phase2 does not print its jobs twice.
 *
 * Ctrl-C stops following (`interrupted`): see handBackOnInterrupt.
 */
export async function followRun(io: Io, engine: Engine, store: Pick<Store, 'listJobs'>, runId: string, opts: { json?: boolean; stop?: AbortSignal } = {}): Promise<{ run: Run; jobs: readonly Job[]; interrupted: boolean }> {
  const interrupt = handBackOnInterrupt(io, engine, runId);
  try {
    // `stop`: the caller stops following an unfinished run (a promote waiting for its approval).
    const followed = await follow(io, engine, store, runId, opts, opts.stop ? AbortSignal.any([interrupt.signal, opts.stop]) : interrupt.signal);
    return { ...followed, interrupted: interrupt.signal.aborted };
  } finally {
    interrupt.dispose();
  }
}

async function follow(io: Io, engine: Engine, store: Pick<Store, 'listJobs'>, runId: string, opts: { json?: boolean }, stop: AbortSignal): Promise<{ run: Run; jobs: readonly Job[] }> {
  const tty = io.stdoutIsTTY && opts.json !== true;
  let shown = 0;
  let lastHead = '';
  const lastRow = new Map<string, string>();
  const run = await engine.waitForRun(runId, (r, jobs) => {
    if (opts.json) return;
    const [head = '', ...rows] = matrixLines(r, jobs);
    if (tty) {
      if (shown > 0) io.out(`\x1b[${shown}A\x1b[J`);
      io.out(`${[head, ...rows].join('\n')}\n`);
      shown = rows.length + 1;
      return;
    }
    if (r.verdict) return;
    const changed = [...(head !== lastHead ? [head] : []), ...endedRows(rows, jobs)];
    lastHead = head;
    if (changed.length > 0) io.out(`${changed.join('\n')}\n`);
  }, stop);
  const jobs = await store.listJobs(run.id);
  if (!tty && !opts.json) {
    // The jobs that ended since the last poll, then the verdict.
    const [head = '', ...rows] = matrixLines(run, jobs);
    io.out(`${[...endedRows(rows, jobs), head].join('\n')}\n`);
  }
  return { run, jobs };

  /** The rows a log has not shown yet: each job that ended, or went back to the queue for another attempt. */
  function endedRows(rows: readonly string[], jobs: readonly Job[]): string[] {
    const out: string[] = [];
    jobs.forEach((j, i) => {
      const row = rows[i] ?? '';
      if (j.state !== 'finished' && jobStatus(j) !== 'retrying') return;
      if (lastRow.get(j.id) !== row) { lastRow.set(j.id, row); out.push(row); }
    });
    return out;
  }
}
