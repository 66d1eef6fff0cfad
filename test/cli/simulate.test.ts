import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import type { Io } from '../../src/cli/io.js';
import { registerSimulate } from '../../src/cli/simulate.js';
import { runSimulation } from '../../src/sim/simulation.js';
import { syntheticBurst } from '../../src/sim/traffic.js';
import { keyedRandom } from '../../src/sim/prng.js';
import { simProvider } from '../../src/sim/provider.js';
import type { JobSpec } from '../../src/engine/job-spec.js';
import { VirtualClock } from '../../src/sim/virtual-clock.js';
import { readFileSync } from 'node:fs';
import { parseTraffic } from '../../src/sim/traffic.js';
import { NO_SHARED, sharedPath, tempDir } from '../helpers/paths.js';

const HOUR = 3_600_000;
const burst = (count: number, seed = 1) => syntheticBurst({ count, start: Date.UTC(2015, 5, 1), overMs: 4 * HOUR }, keyedRandom(seed, 'burst'));

/** The command on a fresh program, as main.ts will register it. */
async function simulateCli(args: string[], cwd: string): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  let status = -1;
  const io: Io = {
    cwd, env: {}, stdoutIsTTY: false, out: (t) => { stdout += t; }, err: (t) => { stderr += t; },
    readStdin: () => new Uint8Array(), now: () => 0,
  };
  const program = new Command('sluice').exitOverride();
  registerSimulate(program, io, (s) => { status = s; });
  await program.parseAsync(['simulate', ...args], { from: 'user' });
  return { status, stdout, stderr };
}

describe('sluice simulate', () => {
  it('finishes a burst of 10 sooner on 4 nodes than on 1, every run with a verdict, nodes never over-used', async () => {
    const [one, four] = [await runSimulation({ submissions: burst(10), capacity: 1, seed: 1 }), await runSimulation({ submissions: burst(10), capacity: 4, seed: 1 })];
    for (const r of [one, four]) {
      assert.deepEqual(r.rejected, []);
      assert.equal(r.runs.length, 10);
      assert.ok(r.runs.every((run) => run.state === 'finished' && run.verdict !== null && run.reportedAt !== null));
      assert.equal(r.stats.unfinished, 0);
      assert.ok(r.stats.utilisation > 0 && r.stats.utilisation <= 1, `utilisation ${r.stats.utilisation}`);
      assert.ok(r.stats.ratio >= 1 - 1e-9, `ratio ${r.stats.ratio}`);
    }
    assert.ok(four.stats.makespanMs < one.stats.makespanMs, `${four.stats.makespanMs} < ${one.stats.makespanMs}`);
    assert.ok(four.stats.latencyMs.p90 < one.stats.latencyMs.p90);
    assert.deepEqual(four.stats.verdicts, one.stats.verdicts, 'the dice depend on the job, not on when it ran');
  });

  it('never fails an update for broken nodes: with no red targets and 20% infra, only pass or error', async () => {
    const r = await runSimulation({ submissions: burst(10, 3), capacity: 2, seed: 3, red: 0, infra: 0.2 });
    assert.ok(r.stats.retries > 0, 'some node requests failed');
    assert.equal(r.stats.unfinished, 0);
    for (const run of r.runs) assert.ok(run.verdict === 'pass' || run.verdict === 'error', `${run.id}: ${run.verdict}`);
    assert.ok((r.stats.verdicts.pass ?? 0) > 0);
  });

  const real = sharedPath('samples', 'rdo-traffic.jsonl');
  it('replays RDO\'s 127 updates of 2015: all accepted, every run a verdict, each job on a node within the hour', { skip: real ? false : NO_SHARED }, async () => {
    const { submissions } = parseTraffic(readFileSync(real!, 'utf8'), 'rdo-traffic.jsonl');
    const r = await runSimulation({ submissions, capacity: 4, seed: 1 });
    assert.deepEqual(r.rejected, []);
    assert.equal(r.stats.updates, 127);
    assert.equal(r.stats.unfinished, 0);
    assert.ok(r.stats.utilisation <= 1 && r.stats.meanQueueWaitMs < HOUR);
    assert.ok(r.stats.latencyMs.max < 3 * HOUR, `max ${r.stats.latencyMs.max}`);
  });

  it('gives the same figures for the same seed', async () => {
    const a = await runSimulation({ submissions: burst(6), capacity: 2, seed: 9, infra: 0.3 });
    const b = await runSimulation({ submissions: burst(6), capacity: 2, seed: 9, infra: 0.3 });
    assert.deepEqual(a.stats, b.stats);
  });

  it('prints one row per capacity, and JSON with --json', async (t) => {
    const cwd = tempDir(t);
    const text = await simulateCli(['--burst', '6', '--over', '2h', '--capacity', '1,3'], cwd);
    assert.equal(text.status, 0, text.stderr);
    const lines = text.stdout.split('\n');
    assert.match(lines[0] ?? '', /^synthetic burst of 6 over 2h: 6 updates/);
    assert.match(lines[1] ?? '', /capacity\s+updates\s+jobs\s+retries\s+makespan\s+median\s+p90/);
    assert.match(lines[2] ?? '', /^\s+1\s+6\s+12\s/);
    assert.match(lines[3] ?? '', /^\s+3\s+6\s+12\s/);
    const json = await simulateCli(['--burst', '6', '--over', '2h', '--capacity', '2', '--json', '--red', '0'], cwd);
    const out = JSON.parse(json.stdout) as { updates: number; results: { capacity: number; stats: { verdicts: Record<string, number> } }[] };
    assert.equal(out.updates, 6);
    assert.deepEqual(out.results.map((r) => [r.capacity, r.stats.verdicts]), [[2, { pass: 6 }]]);
  });

  it('refuses bad options with a usage error', async (t) => {
    const cwd = tempDir(t);
    await assert.rejects(simulateCli(['--burst', '5', '--capacity', '0'], cwd), (e: Error & { status?: number }) => e.status === 2 && /--capacity/.test(e.message));
    await assert.rejects(simulateCli(['--burst', '5', '--red', '2'], cwd), /--red wants a probability/);
    await assert.rejects(simulateCli(['--burst', '5', '--test', 'soon'], cwd), /--test wants a duration/);
    await assert.rejects(simulateCli(['--traffic', 'missing.jsonl'], cwd), /cannot read missing.jsonl/);
    await assert.rejects(simulateCli(['--burst', '5', '--depends', 'some'], cwd), /--depends wants family, none or a share/);
  });

  it('models updates that need each other: tested against production only, dependants fail for want of their dependency; --with never', async (t) => {
    const cwd = tempDir(t);
    // Every update of a dense burst needs the one before it, and nothing is red of itself.
    const json = await simulateCli(['--burst', '8', '--over', '4h', '--capacity', '2', '--red', '0', '--depends', '1', '--json'], cwd);
    assert.equal(json.status, 0, json.stderr);
    type Row = { base: string; dependants: number; falseRed: number; held: number; production: number };
    const out = JSON.parse(json.stdout) as { dependencies: { needs: Record<string, string>; byCapacity: { capacity: number; rows: Row[] }[] } };
    assert.equal(Object.keys(out.dependencies.needs).length, 7);
    const rows = new Map(out.dependencies.byCapacity[0]?.rows.map((r) => [r.base, r]));
    // Within four hours nothing reaches production: every dependant tested against it alone is a false red.
    assert.equal(rows.get('production')?.falseRed, 7);
    assert.equal(rows.get('with')?.falseRed, 0);
    assert.ok((rows.get('updates')?.falseRed ?? 99) < 7);
    for (const r of rows.values()) assert.equal(r.production, 7, `${r.base}: rechecked dependants still reach production`);
    const text = await simulateCli(['--burst', '8', '--over', '4h', '--capacity', '2', '--red', '0', '--depends', '1'], cwd);
    assert.match(text.stdout, /updates that need each other \(a share 1 of the updates.*\): 7 of 8 updates need an earlier one/);
    assert.match(text.stdout, /\n\s+2\s+production\s+7\s+7\s+87\.5%/);
  });
});

describe('sim provider', () => {
  const spec = (mode: JobSpec['mode'], timeoutMs = 2 * HOUR): JobSpec => ({
    pipeline: 'phase1', updateId: 'u1', target: 'kilo/epel-7', provider: 'sim', builds: [], mode, image: null, modeBecause: '', command: 'x', timeoutMs,
  });
  const execution = (s: JobSpec, signal = new AbortController().signal) => ({
    runId: 'r', jobId: 'r.kilo_epel-7', attempt: 1, spec: s, updateFiles: [{ name: 'u1.yml', content: '' }], signal,
  });

  it('takes the boot or provisioning time plus the test time', async () => {
    for (const [mode, expected] of [['image', 15 * 60_000], ['provision', 40 * 60_000]] as const) {
      const clock = new VirtualClock(0);
      const p = simProvider({ clock, capacity: 1, red: 0, testJitter: 0, bootMs: 5 * 60_000, provisionMs: 30 * 60_000, testMs: 10 * 60_000 });
      const out = await clock.runUntil(p.execute(execution(spec(mode))));
      assert.equal(out.result, 'success');
      assert.equal(clock.now(), expected);
    }
  });

  it('fails every attempt of an update on a red target, and times out a job longer than its timeout', async () => {
    const clock = new VirtualClock(0);
    const red = simProvider({ clock, capacity: 1, red: 1 });
    assert.equal((await clock.runUntil(red.execute(execution(spec('image'))))).result, 'failure');
    const slow = simProvider({ clock, capacity: 1, red: 0, provisionMs: 3 * HOUR });
    const start = clock.now();
    assert.equal((await clock.runUntil(slow.execute(execution(spec('provision', HOUR))))).result, 'timeout');
    assert.equal(clock.now() - start, HOUR);
  });

  it('ends as cancelled, at once, when its signal aborts', async () => {
    const clock = new VirtualClock(0);
    const p = simProvider({ clock, capacity: 1, red: 0 });
    const ac = new AbortController();
    const running = p.execute(execution(spec('image'), ac.signal));
    await clock.advance(60_000);
    ac.abort();
    assert.equal((await clock.runUntil(running)).result, 'cancelled');
    assert.equal(clock.now(), 60_000);
  });
});
