import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { commonOptions } from './sandbox.js';

export type BwrapProbe = { readonly ok: true; readonly bwrap: string } | { readonly ok: false; readonly why: string };

const probes = new Map<string, BwrapProbe>();

/** The first executable `bwrap` in a PATH value; only absolute directories count. */
export function findOnPath(program: string, pathValue: string): string | undefined {
  for (const dir of pathValue.split(':')) {
    if (!isAbsolute(dir)) continue;
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/**
 * Whether bwrap is on PATH and can make the sandbox jobs get (a kernel without user
 * namespaces, or a container that forbids mounts, has bwrap installed but unusable): it
 * runs `/bin/sh -c :` in one, once per PATH and network setting, and remembers the answer.
 */
export function probeBwrap(pathValue: string, network: boolean): BwrapProbe {
  const key = `${pathValue}\0${network}`;
  const known = probes.get(key);
  if (known) return known;
  const probe = runProbe(pathValue, network);
  probes.set(key, probe);
  return probe;
}

function runProbe(pathValue: string, network: boolean): BwrapProbe {
  const bwrap = findOnPath('bwrap', pathValue);
  if (!bwrap) return { ok: false, why: 'bwrap is not on PATH (Debian and Fedora package it as bubblewrap)' };
  const r = spawnSync(bwrap, [...commonOptions(network, process.getuid?.()), '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', '--', '/bin/sh', '-c', ':'], {
    stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000, encoding: 'utf8', env: { PATH: pathValue },
  });
  if (r.status === 0) return { ok: true, bwrap };
  const said = r.error?.message ?? (r.stderr.trim().split('\n')[0] || `exit status ${r.status ?? r.signal}`);
  return { ok: false, why: `${bwrap} cannot make a sandbox here: ${said}` };
}
