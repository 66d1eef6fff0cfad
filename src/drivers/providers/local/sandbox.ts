import { constants } from 'node:os';
import { isAbsolute, normalize } from 'node:path';
import { holdsOsTree, missingMountPoints, removeMountPoints } from './os-tree.js';
import type { ProcessExit } from './run-process.js';

/** How a local job's commands are confined: not at all, or each in a bwrap sandbox. */
export type Isolation =
  | { readonly kind: 'none' }
  | { readonly kind: 'bwrap'; readonly bwrap: string; readonly network: boolean };

/** Where a job's sandbox has its `/`: the node root when it holds an OS, else the host's, read-only. */
export type SandboxLayout = 'node-root' | 'host';

export interface SandboxPaths {
  /** $SLUICE_NODE_ROOT: writable, and `/` when it holds an OS tree. */
  readonly root: string;
  /** The job's directory (cwd, HOME, TMPDIR, update files, log): writable. */
  readonly jobDir: string;
  readonly resultsDir: string;
  /** $SLUICE_CONFIG_DIR: readable, never writable. */
  readonly configDir: string;
  /** Other directories the engine made for the job (the update's repository): read-only. */
  readonly readOnly: readonly string[];
}

export interface Sandbox {
  readonly layout: SandboxLayout;
  /** bwrap and its options, ending in `--`: the command's argv follows. */
  readonly argv: readonly string[];
  /** Called once the command has ended: undoes what the sandbox left in the node root. */
  readonly cleanup: () => void;
}

/**
 * The capabilities a job keeps when the worker runs as root: the set Docker gives a
 * container by default, enough for rpm and dnf --installroot (chown, chroot for scriptlets,
 * file capabilities) but without CAP_SYS_ADMIN, so no job can remount a read-only bind
 * writable or mount anything. An unprivileged bwrap has no capabilities to drop.
 */
const KEPT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

export function capabilityOptions(uid: number | undefined): string[] {
  return uid === 0 ? ['--cap-drop', 'ALL', ...KEPT_CAPABILITIES.flatMap((c) => ['--cap-add', c])] : [];
}

/**
 * The options every sandbox has. Its own PID namespace, so that killing bwrap's init kills
 * every process of the job, even one that left the process group with setsid. Not
 * --new-session: a job has no terminal to steal (its stdio are pipes and the worker starts
 * it in a new session already), and staying in the worker-made process group keeps
 * SIGTERM-then-SIGKILL of the group, and the reap after a crash, as without bwrap. Not
 * --die-with-parent either, for the same reason: a dead worker's jobs are reaped by the
 * worker that reclaims them, by process group, exactly as unisolated ones.
 */
export function commonOptions(network: boolean, uid: number | undefined): string[] {
  return ['--unshare-pid', '--unshare-ipc', ...(network ? [] : ['--unshare-net']), ...capabilityOptions(uid)];
}

/**
 * The sandbox for one command, decided when the command starts (a provisioning command
 * may have just filled the root, and the next command then runs inside it). Every path
 * is one the engine made, bound at its own path so the job's environment stays true; no
 * value of an update file becomes an argument.
 */
export function sandboxFor(isolation: Extract<Isolation, { kind: 'bwrap' }>, paths: SandboxPaths, uid = process.getuid?.()): Sandbox {
  for (const p of [paths.root, paths.jobDir, paths.resultsDir, paths.configDir, ...paths.readOnly]) {
    if (!isAbsolute(p) || normalize(p) !== p) throw new Error(`a sandbox path must be absolute and normal: ${JSON.stringify(p)}`);
  }
  const layout: SandboxLayout = holdsOsTree(paths.root) ? 'node-root' : 'host';
  const binds: { mode: '--bind' | '--ro-bind'; path: string }[] = [
    { mode: '--ro-bind', path: paths.configDir },
    ...paths.readOnly.map((path) => ({ mode: '--ro-bind' as const, path })),
    { mode: '--bind', path: paths.jobDir },
    { mode: '--bind', path: paths.resultsDir },
    ...(layout === 'host' ? [{ mode: '--bind' as const, path: paths.root }] : []),
  ];
  // bwrap mounts in order: an outer directory first, so a writable job directory inside a
  // read-only configuration directory (a work_dir beside sluice.yaml) stays writable.
  binds.sort((a, b) => depth(a.path) - depth(b.path));
  const base = layout === 'node-root' ? ['--bind', paths.root, '/'] : ['--ro-bind', '/', '/'];
  const argv = [
    isolation.bwrap, ...commonOptions(isolation.network, uid), ...base,
    '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp',
    ...binds.flatMap((b) => [b.mode, b.path, b.path]),
    '--chdir', paths.jobDir, '--',
  ];
  if (layout === 'host') return { layout, argv, cleanup: () => undefined };
  const made = missingMountPoints(paths.root, ['/dev', '/proc', '/tmp', ...binds.map((b) => b.path)]);
  return { layout, argv, cleanup: () => removeMountPoints(paths.root, made) };
}

function depth(path: string): number {
  return path.split('/').filter((c) => c !== '').length;
}

/**
 * bwrap exits with the command's status, and with 128+N when the command was killed by
 * signal N: read back as that signal, so a job killed by SIGKILL reads the same with and
 * without isolation. (A command that itself exits with 129 to 192 reads as signalled.)
 */
export function sandboxExit(code: number): ProcessExit {
  if (code > 128) {
    const name = Object.entries(constants.signals).find(([, n]) => n === code - 128)?.[0];
    if (name) return { kind: 'signalled', signal: name };
  }
  return { kind: 'exited', code };
}
