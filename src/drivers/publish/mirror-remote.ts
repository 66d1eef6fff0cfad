import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { checksumList, treeManifest } from '../delivery/tree-manifest.js';
import { remoteScript, rsyncUploadArgv, sshArgv, type MirrorHost, type MirrorOp } from './mirror-command.js';
import { parseTreeName, TEMP_TREE_PREFIX, TREES_DIR, type Target } from './tree-layout.js';

/** How one command on a mirror ended. `connected: false`: ssh never started the remote command, so the host is untouched. */
export interface RemoteRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly connected: boolean;
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;

// What OpenSSH says when it gave up before running anything on the host.
const NEVER_CONNECTED = /Connection refused|Connection timed out|No route to host|Could not resolve hostname|Host key verification failed|Permission denied \(|Network is unreachable|Connection closed by .* port \d+\s*$|kex_exchange_identification/m;

function runArgv(command: string, args: readonly string[], input: string, timeoutMs: number): Promise<RemoteRun> {
  return new Promise((resolve) => {
    const child = spawn(command, [...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C', LANG: 'C' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString('utf8'); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString('utf8'); });
    const timer = setTimeout(() => { stderr += `\n(killed after ${timeoutMs} ms)`; child.kill('SIGKILL'); }, timeoutMs);
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
    child.on('error', (e) => { clearTimeout(timer); resolve({ code: null, stdout, stderr: `${stderr}${e.message}`, connected: false }); });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, connected: !(code === 255 && stdout === '' && NEVER_CONNECTED.test(stderr)) });
    });
  });
}

const where = (m: MirrorHost) => `mirror ${m.name} (${m.user}@${m.host}:${m.port})`;

function failure(m: MirrorHost, what: string, r: RemoteRun): Error {
  const said = [...r.stdout.split('\n').filter((l) => l.startsWith('ERROR ') || l.startsWith('BAD ')), r.stderr.trim()].filter((s) => s !== '').join('; ');
  return new Error(`${where(m)}: ${what} failed (${r.code === null ? 'not run' : `exit ${r.code}`}): ${said || 'no message'}`);
}

export async function runOnMirror(m: MirrorHost, op: MirrorOp, args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RemoteRun> {
  return runArgv('ssh', sshArgv(m, remoteScript(op, m.path, args)), opts.input ?? '', opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
}

async function must(m: MirrorHost, op: MirrorOp, args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await runOnMirror(m, op, args, opts);
  if (r.code !== 0) throw failure(m, op, r);
  return r.stdout;
}

/** What a mirror shows for each target (the tree name its link points at; null: none) and the finished trees it keeps. */
export interface MirrorTargetState {
  readonly current: string | null;
  readonly trees: readonly string[];
}

export async function inspectMirror(m: MirrorHost, targets: readonly Target[]): Promise<Map<string, MirrorTargetState>> {
  const out = await must(m, 'inspect', targets.map((t) => t.name));
  const states = new Map<string, { current: string | null; trees: string[] }>(targets.map((t) => [t.name, { current: null, trees: [] }]));
  for (const line of out.split('\n')) {
    const [kind, target, value] = line.split(' ', 3);
    const state = target === undefined ? undefined : states.get(target);
    if (!state || value === undefined) continue;
    if (kind === 'TREE' && parseTreeName(value)) state.trees.push(value);
    if (kind === 'LINK' && value === '!') throw new Error(`${where(m)}: ${m.path}/${target} is not a link: move it aside by hand before the first publication`);
    if (kind === 'LINK' && value !== '-') {
      const prefix = `../${TREES_DIR}/${target}/`;
      const name = value.startsWith(prefix) ? value.slice(prefix.length) : '';
      if (!parseTreeName(name)) throw new Error(`${where(m)}: ${m.path}/${target} points at ${value}, not at a tree of its own: point it by hand`);
      state.current = name;
    }
  }
  return states;
}

export async function prepareMirror(m: MirrorHost, targets: readonly Target[]): Promise<void> {
  await must(m, 'prepare', targets.map((t) => t.name));
}

/**
 * Uploads a local tree to a mirror as tree `name`: rsync into a temporary directory beside
 * the host's current tree (unchanged files hard links to it), every file then checked on
 * the host against the local tree's SHA-256 list, and only then renamed to its name. rsync's
 * quick check can be fooled (same size and time, other content): a mismatch is sent again
 * comparing content, and checked again.
 */
export async function uploadTree(m: MirrorHost, target: Target, localTree: string, name: string, linkDest: string | null, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
  const temp = `${TEMP_TREE_PREFIX}${name}-${randomBytes(4).toString('hex')}`;
  const remoteDir = `${m.path}/${TREES_DIR}/${target.name}/${temp}`;
  const list = checksumList(await treeManifest(localTree));
  for (const checksum of [false, true]) {
    const r = await runArgv('rsync', rsyncUploadArgv(m, localTree, remoteDir, linkDest, { checksum }), '', timeoutMs);
    if (r.code !== 0) throw failure(m, `rsync of ${target.name} ${name}`, r);
    const sealed = await runOnMirror(m, 'seal', [target.name, temp, name], { input: list, timeoutMs });
    if (sealed.code === 0) return;
    if (sealed.code !== 4 || checksum) throw failure(m, `checking ${target.name} ${name}`, sealed);
  }
}

/**
 * Points links on a mirror, all in one command: `[target, tree name or null]`, each by one
 * rename. A failure throws an error whose `connected` is false when ssh never reached the
 * host (nothing there changed) and true when the host may have swapped some links.
 */
export async function swapOnMirror(m: MirrorHost, links: readonly (readonly [string, string | null])[]): Promise<void> {
  const r = await runOnMirror(m, 'swap', links.flatMap(([t, n]) => [t, n ?? '-']));
  if (r.code === 0) return;
  throw Object.assign(failure(m, 'swap', r), { connected: r.connected });
}

export async function removeOnMirror(m: MirrorHost, target: Target, names: readonly string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const out = await must(m, 'remove', [target.name, ...names]);
  return out.split('\n').filter((l) => l.startsWith('REMOVED ')).map((l) => `${m.name}:${l.slice('REMOVED '.length).replace(' ', '/')}`);
}
