import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { jobDir, localProvider } from '../../../../src/drivers/providers/local/local-provider.js';
import { reapOrphans } from '../../../../src/drivers/providers/local/reap.js';
import { PROJECT_ROOT, tempDir } from '../../../helpers/paths.js';
import { commandRunnerOf, killWithItsRunner } from '../../../helpers/processes.js';
import { bwrapOrSkip, execution, processesOf } from './sandbox-fixture.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`gave up waiting: ${what}`);
    await sleep(50);
  }
}

/** A directory outside /tmp (which a sandbox replaces with its own), where the host's `/` is read-only. */
function canaryDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync('/var/tmp/sluice-canary-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('local jobs in bwrap', () => {
  it('cannot write outside the job directory, its results and node root; the configuration is readable only', async (t) => {
    const isolation = bwrapOrSkip(t);
    if (!isolation) return;
    const site = tempDir(t);
    const canary = canaryDir(t);
    writeFileSync(join(site, 'check.sh'), 'echo config-script-ran\n');
    const provider = localProvider({ name: 'local', capacity: 1, workDir: join(site, 'work'), configDir: site, killGraceMs: 300, isolation });
    const out = await provider.execute(execution([
      // Each attempt's error message goes to the log; the files must not appear.
      'touch "$SLUICE_CONFIG_DIR/written" 2>&1; touch "$CANARY/written" 2>&1; touch /usr/sluice-written 2>&1; true',
      'if [ "$(id -u)" = 0 ]; then mount -o remount,rw "$SLUICE_CONFIG_DIR" 2>&1 && echo REMOUNTED; fi; true',
      'sh "$SLUICE_CONFIG_DIR/check.sh" && cat "$SLUICE_UPDATE_FILE"',
      'touch "$SLUICE_WORKDIR/mine" "$SLUICE_RESULTS_DIR/junit.xml" "$SLUICE_NODE_ROOT/state" /tmp/private && echo "tmp holds: $(ls /tmp)"',
    ], { env: { CANARY: canary } }));
    const log = readFileSync(out.logPath as string, 'utf8');
    assert.equal(out.result, 'success', `${out.reason}\n${log}`);
    assert.equal(existsSync(join(site, 'written')), false, 'nothing written in the configuration directory');
    assert.equal(existsSync(join(canary, 'written')), false, 'nothing written in a directory of the host');
    assert.equal(existsSync('/usr/sluice-written'), false);
    assert.match(log, /config-script-ran/);
    assert.match(log, /notes: hello/);
    assert.equal((log.match(/Read-only file system/g) ?? []).length, 3, log);
    assert.doesNotMatch(log, /REMOUNTED/, 'a job cannot remount its read-only binds');
    assert.match(log, /== in bwrap, with the host's \/ read-only/);
    assert.match(log, /tmp holds: private$/m, 'its own /tmp');
    const dir = out.node.replace(/^local:/, '');
    for (const f of ['mine', 'results/junit.xml', 'node/state']) assert.ok(existsSync(join(dir, f)), `${f} was written`);
    assert.equal(existsSync('/tmp/private'), false, 'the job\'s /tmp is not the host\'s');
  });

  it('runs in a PID namespace of its own: the worker and the host\'s processes are not there', async (t) => {
    const isolation = bwrapOrSkip(t);
    if (!isolation) return;
    const site = tempDir(t);
    const provider = localProvider({ name: 'local', capacity: 1, workDir: join(site, 'work'), configDir: site, isolation });
    const out = await provider.execute(execution('echo "pid $$"; echo "visible $(ls /proc | grep -c "^[0-9]")"; test ! -e "/proc/$WORKER/environ" && echo "worker hidden"', { env: { WORKER: String(process.pid) } }));
    const log = readFileSync(out.logPath as string, 'utf8');
    assert.equal(out.result, 'success', log);
    const pid = Number(/^pid (\d+)$/m.exec(log)?.[1]);
    const visible = Number(/^visible (\d+)$/m.exec(log)?.[1]);
    t.diagnostic(`inside: $$ = ${pid}, ${visible} processes visible`);
    assert.ok(pid > 0 && pid < 10, `the shell is one of the namespace's first processes (pid ${pid})`);
    assert.ok(visible <= 6, `only the job's own processes are visible (${visible})`);
    assert.match(log, /worker hidden/);
  });

  it('maps exit statuses and signals as without isolation', async (t) => {
    const isolation = bwrapOrSkip(t);
    if (!isolation) return;
    const site = tempDir(t);
    const provider = localProvider({ name: 'local', capacity: 1, workDir: join(site, 'work'), configDir: site, isolation });
    assert.deepEqual(pick(await provider.execute(execution('exit 3'))), { result: 'failure', reason: 'the test command exited with status 3' });
    assert.deepEqual(pick(await provider.execute(execution('kill -KILL $$'))), { result: 'failure', reason: 'the test command was killed by SIGKILL' });
    assert.deepEqual(pick(await provider.execute(execution('kill -SEGV $$'))), { result: 'failure', reason: 'the test command was killed by SIGSEGV' });
    assert.deepEqual(pick(await provider.execute(execution(['true', 'exit 1']))), { result: 'failure', reason: '"exit 1" exited with status 1' });
    assert.deepEqual(pick(await provider.execute(execution('true'))), { result: 'success', reason: 'the tests passed' });
  });

  it('kills a timed-out job\'s whole tree, a grandchild that left the process group included', async (t) => {
    const isolation = bwrapOrSkip(t);
    if (!isolation) return;
    const site = tempDir(t);
    const provider = localProvider({ name: 'local', capacity: 1, workDir: join(site, 'work'), configDir: site, killGraceMs: 300, isolation });
    const ex = execution('(sleep 300 &); setsid sleep 301 & sh -c "sleep 302" & echo started; wait', { timeoutMs: 60_000 });
    const ac = new AbortController();
    const running = provider.execute({ ...ex, spec: { ...ex.spec, timeoutMs: 2000 }, signal: ac.signal });
    await until('the job\'s sleeps run', () => processesOf(ex.jobId).length >= 4);
    const before = processesOf(ex.jobId).length;
    const out = await running;
    assert.equal(out.result, 'timeout', out.reason);
    await until('no process of the job is left', () => processesOf(ex.jobId).length === 0, 5000);
    t.diagnostic(`${before} processes before the timeout, none after`);
  });

  it('stops a job on cancel and on too much output, and kills what it left', async (t) => {
    const isolation = bwrapOrSkip(t);
    if (!isolation) return;
    const site = tempDir(t);
    const limited = localProvider({ name: 'local', capacity: 1, workDir: join(site, 'work'), configDir: site, killGraceMs: 300, maxLogBytes: 4096, isolation });
    const noisy = execution('setsid sleep 303 & yes');
    const out = await limited.execute(noisy);
    assert.deepEqual(pick(out), { result: 'failure', reason: 'the test command wrote more than 4096 bytes of output and was stopped' });
    assert.equal(readFileSync(out.logPath as string).length <= 4096 + 200, true);
    await until('the noisy job left nothing', () => processesOf(noisy.jobId).length === 0, 5000);

    const ac = new AbortController();
    const cancelled = execution('setsid sleep 304 & sleep 305', { signal: ac.signal });
    const running = limited.execute(cancelled);
    await until('the job runs', () => processesOf(cancelled.jobId).length >= 2);
    ac.abort();
    assert.deepEqual(pick(await running), { result: 'cancelled', reason: 'cancelled' });
    await until('the cancelled job left nothing', () => processesOf(cancelled.jobId).length === 0, 5000);
  });

  it('is infra, not the update\'s failure, when bwrap cannot set the sandbox up', async (t) => {
    const isolation = bwrapOrSkip(t);
    if (!isolation) return;
    const site = tempDir(t);
    const provider = localProvider({ name: 'local', capacity: 1, workDir: join(site, 'work'), configDir: join(site, 'gone'), isolation });
    const out = await provider.execute(execution('true'));
    assert.equal(out.result, 'infra');
    assert.match(out.reason, /^cannot start the test command: the sandbox did not start \(.*bwrap exited with status 1; its message is in the log\)$/);
    assert.match(readFileSync(out.logPath as string, 'utf8'), /bwrap: .*gone/);
  });

  it('reaps, namespace and all, the job of a worker that died with its command runner', async (t) => {
    const isolation = bwrapOrSkip(t);
    if (!isolation) return;
    const site = tempDir(t);
    const ex = execution('setsid sleep 306 & sleep 307');
    const provider = pathToFileURL(join(PROJECT_ROOT, 'dist', 'src', 'drivers', 'providers', 'local', 'local-provider.js')).href;
    // A worker in a process of its own, killed with SIGKILL while the job runs, and its
    // command runner with it (a runner that outlives its worker ends the job itself).
    const script = `
      const { localProvider } = await import(${JSON.stringify(provider)});
      const p = localProvider({ name: 'local', capacity: 1, workDir: process.argv[1], configDir: process.argv[2], isolation: JSON.parse(process.argv[3]) });
      await p.execute({ ...JSON.parse(process.argv[4]), signal: new AbortController().signal });`;
    mkdirSync(join(site, 'work'));
    const worker = spawn(process.execPath, ['--input-type=module', '-e', script, join(site, 'work'), site, JSON.stringify(isolation), JSON.stringify({ ...ex, signal: undefined })], { stdio: 'ignore' });
    await until('the job runs', () => processesOf(ex.jobId).length >= 3);
    assert.ok(commandRunnerOf(worker.pid as number), 'the worker started a command runner');
    killWithItsRunner(worker);
    await new Promise((r) => worker.once('exit', r));
    await sleep(300);
    const orphans = processesOf(ex.jobId).length;
    assert.ok(orphans >= 3, `the job outlives its dead worker (${orphans} processes)`);
    const killed = reapOrphans(jobDir(join(site, 'work'), ex.runId, ex.jobId, 1), ex.jobId, 1);
    assert.equal(killed, 1, 'one process group: the sandbox\'s');
    await until('the reaped job left nothing', () => processesOf(ex.jobId).length === 0, 5000);
    t.diagnostic(`${orphans} orphaned processes reaped by killing one group`);
  });
});

function pick(o: { result: string; reason: string }): { result: string; reason: string } {
  return { result: o.result, reason: o.reason };
}
