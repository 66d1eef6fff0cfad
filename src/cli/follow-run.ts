import type { Engine } from '../engine/engine.js';
import type { Job, Run, Store } from '../store/index.js';
import type { Io } from './io.js';
import { handBackOnInterrupt } from './hand-back-on-interrupt.js';
import { matrixLines } from './render-run.js';

/**
 * Follows a run until its verdict is reported, showing its progress: on a terminal the
 * matrix redraws in place; in a log (CI, a pipe) each change is one line (the run's state
 * when it changes, a job when its status changes) and the whole matrix comes once, at
 * the end, so a 30-job phase2 does not print 30 copies of itself.
 *
 * Ctrl-C stops following (`interrupted`): see handBackOnInterrupt.
 */
export async function followRun(io: Io, engine: Engine, store: Pick<Store, 'listJobs'>, runId: string, opts: { json?: boolean } = {}): Promise<{ run: Run; jobs: readonly Job[]; interrupted: boolean }> {
  const interrupt = handBackOnInterrupt(io, engine, runId);
  try {
    const followed = await follow(io, engine, store, runId, opts, interrupt.signal);
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
    const changed: string[] = [];
    if (head !== lastHead) { changed.push(head); lastHead = head; }
    jobs.forEach((j, i) => {
      const row = rows[i] ?? '';
      if (lastRow.get(j.id) !== row) { lastRow.set(j.id, row); changed.push(row); }
    });
    if (changed.length > 0) io.out(`${changed.join('\n')}\n`);
  }, stop);
  const jobs = await store.listJobs(run.id);
  if (!tty && !opts.json) io.out(`${matrixLines(run, jobs).join('\n')}\n`);
  return { run, jobs };
}
