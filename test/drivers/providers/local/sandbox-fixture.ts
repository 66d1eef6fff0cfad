import { readdirSync, readFileSync } from 'node:fs';
import { probeBwrap } from '../../../../src/drivers/providers/local/bwrap-probe.js';
import type { Isolation } from '../../../../src/drivers/providers/local/sandbox.js';
import type { JobSpec } from '../../../../src/engine/job-spec.js';
import type { Execution } from '../../../../src/engine/node-provider.js';

/**
 * bwrap as the tests find it: a usable one, or a skip saying why. Under CI=true a missing
 * or broken bwrap fails the test instead (scripts/ensure-system-packages.sh installs it).
 */
export function bwrapOrSkip(t: { skip: (why: string) => void }, network = true): Extract<Isolation, { kind: 'bwrap' }> | undefined {
  const probe = probeBwrap(process.env.PATH ?? '', network);
  if (probe.ok) return { kind: 'bwrap', bwrap: probe.bwrap, network };
  if (process.env.CI === 'true') throw new Error(`the bwrap tests must run under CI: ${probe.why}`);
  t.skip(`${probe.why}: install bubblewrap to run this test`);
  return undefined;
}

let seq = 0;
export function execution(command: string | string[], extra: { timeoutMs?: number; signal?: AbortSignal; env?: Record<string, string>; spec?: Partial<JobSpec> } = {}): Execution {
  const runId = `r${Date.now()}x${++seq}`;
  const spec: JobSpec = {
    pipeline: 'phase1', updateId: 'u1', target: 'kilo/epel-7', provider: 'local', builds: [], mode: 'provision', image: null,
    modeBecause: 'test', command, timeoutMs: extra.timeoutMs ?? 60_000, ...extra.spec,
  };
  return {
    runId, jobId: `${runId}.kilo_epel-7`, attempt: 1, spec, updateFiles: [{ name: 'u1.yml', content: 'notes: hello\n' }],
    signal: extra.signal ?? new AbortController().signal, ...(extra.env ? { preparedEnv: extra.env } : {}),
  };
}

/** Live processes (not zombies) whose environment names the job. */
export function processesOf(jobId: string): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      const state = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]?.[0];
      return state !== 'Z' && state !== 'X' && readFileSync(`/proc/${p}/environ`, 'utf8').split('\0').includes(`SLUICE_JOB=${jobId}`);
    } catch {
      return false;
    }
  }).map(Number);
}
