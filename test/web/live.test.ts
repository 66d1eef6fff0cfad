import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openStore } from '../../src/store/index.js';
import { logPathOf } from '../../src/web/log-locator.js';
import { tempDir } from '../helpers/paths.js';
import { submit } from '../helpers/site.js';
import { until, webEngine, webServer, webSite } from './fixture.js';

interface SseEvent { event: string; data: unknown; id?: string }

/** Reads Server-Sent Events from a real connection until `stop` says so. */
async function readEvents(url: string, stop: (events: SseEvent[]) => boolean, signal: AbortSignal): Promise<SseEvent[]> {
  const res = await fetch(url, { signal, headers: { accept: 'text/event-stream' } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const events: SseEvent[] = [];
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return events;
    buffer += decoder.decode(value, { stream: true });
    for (let at = buffer.indexOf('\n\n'); at !== -1; at = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, at);
      buffer = buffer.slice(at + 2);
      const fields = Object.fromEntries(block.split('\n').filter((l) => !l.startsWith(':') && l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trimStart()]));
      if (fields.event) events.push({ event: fields.event, data: JSON.parse(fields.data ?? 'null'), ...(fields.id ? { id: fields.id } : {}) });
    }
    if (stop(events)) { await reader.cancel(); return events; }
  }
}

describe('live updates', () => {
  it('send each change of a run and its jobs to a connected client as it happens, and count it in /metrics', async (t) => {
    const f = await webSite(tempDir(t));
    const store = await openStore(`sqlite:${join(f.site.dir, 'sluice.db')}`);
    t.after(() => store.close());
    const engine = webEngine(f, store);
    const { app } = await webServer(t, store, f, { engine });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const abort = new AbortController();
    t.after(() => abort.abort());
    let runId = '';
    const watching = readEvents(`${base}/api/events`, (es) => es.some((e) => e.event === 'run.finished' && (e.data as { runId: string }).runId === runId), abort.signal);
    await until(() => app.server.listening, 5000, 'the server');
    await new Promise((r) => setTimeout(r, 300));
    runId = await submit(f.site, store, 'abcd', 'fail on kilo/fedora-22', ['kilo/epel-7', 'kilo/fedora-22']);
    engine.start();
    t.after(() => engine.stop());
    const events = (await watching).filter((e) => (e.data as { runId: string }).runId === runId);
    const kinds = events.map((e) => e.event);
    assert.equal(kinds[0], 'run.created');
    // Each job started (at least once: a loaded machine may retry one), and only these two.
    assert.equal(new Set(events.filter((e) => e.event === 'job.started').map((e) => (e.data as { jobId: string }).jobId)).size, 2);
    assert.deepEqual(events.filter((e) => e.event === 'job.finished').map((e) => (e.data as { payload: { result: string } }).payload.result).sort(), ['failure', 'success']);
    assert.ok(kinds.indexOf('run.finished') > kinds.lastIndexOf('job.finished'), kinds.join(' '));
    const seqs = events.map((e) => Number(e.id));
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'in the store\'s order, each with its sequence number as id');


    // The counters follow the event log a poll behind the client: wait for the run's verdict to be counted.
    let metrics = '';
    await until(async () => /^sluice_runs_finished_total/m.test(metrics = await (await fetch(`${base}/metrics`)).text()), 5000, 'the metrics');
    assert.match(metrics, /^sluice_jobs_finished_total\{pipeline="phase1",result="failure"\} 1$/m);
    assert.match(metrics, /^sluice_jobs_finished_total\{pipeline="phase1",result="success"\} 1$/m);
    assert.match(metrics, /^sluice_runs_finished_total\{pipeline="phase1",verdict="fail"\} 1$/m);
    assert.match(metrics, /^sluice_job_duration_seconds_bucket\{le="5",pipeline="phase1",result="success"\} 1$/m);
    assert.match(metrics, /^sluice_run_duration_seconds_count\{pipeline="phase1",verdict="fail"\} 1$/m);
    assert.match(metrics, /^sluice_node_capacity\{provider="local"\} 3$/m);
    assert.match(metrics, /^sluice_node_utilisation\{provider="local"\} 0$/m);
    assert.match(metrics, /^# TYPE sluice_queue_jobs gauge$/m);
    assert.match(metrics, /^# TYPE sluice_leases gauge$/m);
  });

  it('follow a running job\'s log as it grows, then say it ended; the queue and node gauges see the job meanwhile', async (t) => {
    const f = await webSite(tempDir(t));
    const store = await openStore(`sqlite:${join(f.site.dir, 'sluice.db')}`);
    t.after(() => store.close());
    const engine = webEngine(f, store);
    const { app } = await webServer(t, store, f, { engine });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const runId = await submit(f.site, store, 'abcd', 'lines 300 sleep 2', ['kilo/epel-7']);
    engine.start();
    t.after(() => engine.stop());
    const jobId = `${runId}.kilo_epel-7`;
    await until(async () => { const j = await store.getJob(jobId); return j !== undefined && logPathOf(j, f.web) !== undefined; }, 10_000, 'the job to run');
    const running = await store.getJob(jobId);
    assert.ok(running?.liveLogPath, 'the attempt recorded its log in the store as it started');
    assert.equal(logPathOf(running, f.web), running.liveLogPath, 'the web serves the log the store names');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^sluice_jobs_running\{pipeline="phase1"\} 1$/m);
    assert.match(metrics, /^sluice_nodes_busy\{provider="local"\} 1$/m);
    assert.match(metrics, /^sluice_leases\{kind="provider"\} 1$/m);

    const abort = new AbortController();
    t.after(() => abort.abort());
    const events = await readEvents(`${base}/api/jobs/${jobId}/log/follow?offset=0`, (es) => es.some((e) => e.event === 'end'), abort.signal);
    const chunks = events.filter((e) => e.event === 'lines').map((e) => e.data as { offset: number; next: number; text: string });
    const text = chunks.map((c) => c.text).join('');
    assert.match(text, /python-dep300\.noarch will be installed/);
    assert.match(text, /^Complete!$/m, 'the lines written after the client connected');
    for (let i = 1; i < chunks.length; i++) assert.equal(chunks[i]?.offset, chunks[i - 1]?.next, 'no byte lost or repeated between chunks');
    assert.deepEqual(events.at(-1)?.data, { offset: Buffer.byteLength(text), state: 'finished' });
  });
});
