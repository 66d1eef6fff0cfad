import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { jobDir, localProvider } from '../../../../src/drivers/providers/local/local-provider.js';
import { PGIDS_FILE } from '../../../../src/drivers/providers/local/reap.js';
import { PROJECT_ROOT, tempDir } from '../../../helpers/paths.js';
import { commandRunnerOf } from '../../../helpers/processes.js';
import { execution, processesOf } from './sandbox-fixture.js';

async function until(what: string, ok: () => boolean, withinMs = 10_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('the command runner', () => {
  it('starts job commands from a process of its own, and records their process group as they start', async (t) => {
    const site = tempDir(t);
    const provider = localProvider({ name: 'local', capacity: 2, workDir: join(site, 'work'), configDir: site });
    const ex = execution('echo "pid $$ parent $PPID"; echo oops >&2; exit 4');
    const out = await provider.execute(ex);
    assert.equal(out.result, 'failure');
    assert.equal(out.reason, 'the test command exited with status 4');
    const log = readFileSync(out.logPath as string, 'utf8');
    assert.match(log, /oops/);
    const [, pid, parent] = /pid (\d+) parent (\d+)/.exec(log) ?? [];
    const runner = commandRunnerOf(process.pid);
    assert.ok(runner, 'a command runner runs beside this process');
    assert.equal(Number(parent), runner, 'the command\'s parent is the runner, not the engine');
    const pgids = readFileSync(join(jobDir(join(site, 'work'), ex.runId, ex.jobId, 1), PGIDS_FILE), 'utf8');
    assert.equal(pgids, `${pid}\n`, 'the group was recorded for the reaper');
  });

  it('ends what it started when its worker dies', async (t) => {
    const site = tempDir(t);
    mkdirSync(join(site, 'work'));
    const ex = execution('setsid sleep 308 & sleep 309');
    const provider = pathToFileURL(join(PROJECT_ROOT, 'dist', 'src', 'drivers', 'providers', 'local', 'local-provider.js')).href;
    const script = `
      const { localProvider } = await import(${JSON.stringify(provider)});
      const p = localProvider({ name: 'local', capacity: 1, workDir: process.argv[1], configDir: process.argv[2] });
      await p.execute({ ...JSON.parse(process.argv[3]), signal: new AbortController().signal });`;
    const worker = spawn(process.execPath, ['--input-type=module', '-e', script, join(site, 'work'), site, JSON.stringify({ ...ex, signal: undefined })], { stdio: 'ignore' });
    await until('the job runs', () => processesOf(ex.jobId).length >= 3);
    const runner = commandRunnerOf(worker.pid as number);
    assert.ok(runner, 'the worker started a command runner');
    worker.kill('SIGKILL');
    await new Promise((r) => worker.once('exit', r));
    // The job's own group goes; the setsid'd sleep left it, as without a runner, and is the reaper's.
    await until('the job\'s process group is gone', () => processesOf(ex.jobId).length <= 1);
    await until('the runner exited', () => commandRunnerOf(worker.pid as number) === undefined && !existsProcess(runner));
    for (const p of processesOf(ex.jobId)) process.kill(p, 'SIGKILL');
  });

  it('fails the running attempt as infra when the runner dies, and the next command gets a new runner', async (t) => {
    const site = tempDir(t);
    const provider = localProvider({ name: 'local', capacity: 2, workDir: join(site, 'work'), configDir: site });
    const ex = execution('sleep 310');
    const running = provider.execute(ex);
    await until('the job runs', () => processesOf(ex.jobId).length >= 1);
    const runner = commandRunnerOf(process.pid);
    assert.ok(runner);
    process.kill(runner, 'SIGKILL');
    const out = await running;
    assert.equal(out.result, 'infra');
    assert.equal(out.reason, 'cannot start the test command: the process starting job commands stopped: it was killed by SIGKILL');
    await until('the orphaned command was ended', () => processesOf(ex.jobId).length === 0);
    const next = await provider.execute(execution('true'));
    assert.equal(next.result, 'success');
    assert.notEqual(commandRunnerOf(process.pid), runner, 'a new runner');
  });
});

function existsProcess(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
