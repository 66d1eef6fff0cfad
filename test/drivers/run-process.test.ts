import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runProcess, type ProcessSpec } from '../../src/drivers/providers/local/run-process.js';
import { tempDir } from '../helpers/paths.js';

function spec(dir: string, command: string, extra: Partial<ProcessSpec> = {}): ProcessSpec {
  return { command, cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, logPath: join(dir, 'job.log'), timeoutMs: 20_000, maxLogBytes: 1 << 20, killGraceMs: 500, ...extra };
}

/** Running, as opposed to gone or a zombie waiting for a reaper that is not ours. */
/** A SIGKILL is delivered asynchronously: on a loaded machine the process may still be running for a moment. */
async function aliveAfterKill(pid: number, withinMs = 3000): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return alive(pid);
}

function alive(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== undefined && state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

describe('running a job process', () => {
  it('streams stdout and stderr to the log and returns the exit code', async (t) => {
    const dir = tempDir(t);
    const r = await runProcess(spec(dir, 'echo out; echo err >&2; exit 3'));
    assert.deepEqual(r.exit, { kind: 'exited', code: 3 });
    assert.equal(readFileSync(join(dir, 'job.log'), 'utf8').split('\n').sort().join(' ').trim(), 'err out');
  });

  it('passes untrusted values through the environment, never through the shell', async (t) => {
    const dir = tempDir(t);
    const evil = '$(touch pwned); `touch pwned2`; echo hi';
    const r = await runProcess(spec(dir, 'printf "%s" "$SLUICE_BUILD"', { env: { PATH: process.env.PATH ?? '', SLUICE_BUILD: evil } }));
    assert.deepEqual(r.exit, { kind: 'exited', code: 0 });
    assert.equal(readFileSync(join(dir, 'job.log'), 'utf8'), evil);
    assert.throws(() => statSync(join(dir, 'pwned')));
  });

  it('kills the whole process group on timeout, background children included', async (t) => {
    const dir = tempDir(t);
    const r = await runProcess(spec(dir, 'sleep 300 & echo $! > bg.pid; trap "" TERM; sleep 300', { timeoutMs: 300 }));
    assert.deepEqual(r.exit, { kind: 'timeout', afterMs: 300 });
    const bg = Number(readFileSync(join(dir, 'bg.pid'), 'utf8'));
    assert.equal(await aliveAfterKill(bg), false, 'the background sleep must be gone');
    assert.ok(r.durationMs < 10_000);
  });

  it('ends daemons a test leaves behind when it exits', async (t) => {
    const dir = tempDir(t);
    const r = await runProcess(spec(dir, 'sleep 300 & echo $! > bg.pid; exit 0', { timeoutMs: 10_000 }));
    assert.deepEqual(r.exit, { kind: 'exited', code: 0 });
    assert.ok(r.durationMs < 5_000, `took ${r.durationMs} ms`);
    assert.equal(await aliveAfterKill(Number(readFileSync(join(dir, 'bg.pid'), 'utf8'))), false);
  });

  it('stops a test that floods its output, keeping the log at its limit', async (t) => {
    const dir = tempDir(t);
    const r = await runProcess(spec(dir, 'yes "flood flood flood"', { maxLogBytes: 256 * 1024 }));
    assert.deepEqual(r.exit, { kind: 'output_limit', limitBytes: 256 * 1024 });
    assert.equal(statSync(join(dir, 'job.log')).size, 256 * 1024);
  });

  it('cancels on abort', async (t) => {
    const dir = tempDir(t);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const r = await runProcess(spec(dir, 'sleep 300', { signal: ac.signal }));
    assert.deepEqual(r.exit, { kind: 'cancelled' });
  });

  it('reports a working directory that does not exist as a spawn failure', async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'job.log'), '');
    const r = await runProcess(spec(dir, 'true', { cwd: join(dir, 'missing') }));
    assert.equal(r.exit.kind, 'spawn_failed');
  });
});
