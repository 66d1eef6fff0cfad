import { appendFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, normalize, posix, sep } from 'node:path';
import type { Client, SFTPWrapper } from 'ssh2';
import { collectFromNode } from '../../delivery/collect.js';
import { sendTrees, verifyOnNode, type TreeToDeliver } from '../../delivery/node-delivery.js';
import { namesRepository, repoFile, repoFileOptions, repoIdOf } from '../../delivery/repo-file.js';
import { treeManifest } from '../../delivery/tree-manifest.js';
import type { Execution, ExecutionOutcome } from '../../../engine/node-provider.js';
import { jobEnvironment } from '../local/job-environment.js';
import { DEFAULT_MAX_LOG_BYTES } from '../local/local-provider.js';
import { remoteOutcome } from './exit-outcome.js';
import { ENV_FILE, runRemote } from './remote-run.js';
import { openSftp, sftpGet, sftpList, sftpMkdirs, sftpWrite } from './ssh-session.js';
import { envFile } from './shell-quote.js';

/** One job on one host over an open SSH connection: what the ssh and openstack providers share. */
export interface SshJob {
  readonly client: Client;
  /** The node's name in outcomes and messages, e.g. `ssh:sluice@node1:22`. */
  readonly node: string;
  readonly execution: Execution;
  /** The worker's directory of the attempt (made by `makeLocalJobDir`): job.log and results/. */
  readonly localDir: string;
  /** The job directory on the host. */
  readonly remoteDir: string;
  /** $SLUICE_CONFIG_DIR as the host sees it (unless configFiles are delivered). */
  readonly configDir: string;
  /** The node's content-addressed store of delivered trees (docs/providers.md). */
  readonly cacheDir: string;
  /** Files of the worker's configuration directory the node receives into <job>/config/ ($SLUICE_CONFIG_DIR then). */
  readonly configFiles?: { readonly root: string; readonly paths: readonly string[] };
  readonly killGraceMs: number;
  readonly maxLogBytes?: number;
  readonly now?: () => number;
  /** One role of a multi-node job: its extra variables, its peers' hosts file, and the prefix of its log lines. */
  readonly role?: { readonly name: string; readonly env: Readonly<Record<string, string>>; readonly hosts: string };
  /** A node booted from an image: the addresses its `on_restore` hook gets. */
  readonly restore?: { readonly image: string; readonly oldAddress: string; readonly newAddress: string };
  /** Told when the connection drops under a command (the ssh pool takes the host out). */
  readonly onConnectionLost?: (message: string) => void;
}

/** Where delivered trees live on a node: beside the job directories, under a name no run id takes. */
export function nodeCacheDir(remoteWorkDir: string): string {
  return posix.join(remoteWorkDir, '.cache');
}

/** The worker's directory of an attempt with an empty job.log; an error message when it cannot be made. */
export function makeLocalJobDir(localDir: string, o: { keepLog?: boolean } = {}): string | undefined {
  try {
    mkdirSync(join(localDir, 'results'), { recursive: true });
    if (o.keepLog) appendFileSync(join(localDir, 'job.log'), '');
    else writeFileSync(join(localDir, 'job.log'), '');
    return undefined;
  } catch (e) {
    return `cannot prepare the local job directory: ${(e as Error).message}`;
  }
}

/**
 * Makes the job directory on the host, uploads the update files and job.env, runs the
 * commands one after another (output streamed into the local job.log) and copies the
 * results back. The connection stays the caller's to end.
 */
export async function runSshJob(j: SshJob): Promise<ExecutionOutcome> {
  const ex = j.execution;
  const now = j.now ?? Date.now;
  const logPath = join(j.localDir, 'job.log');
  const node = j.node;
  const prepared = await prepare(j, logPath);
  if (!prepared.ok) return { result: 'infra', reason: prepared.verified === false ? prepared.reason : `cannot prepare the job directory on ${node}: ${prepared.reason}`, node, logPath };
  const commands = typeof ex.spec.command === 'string' ? [ex.spec.command] : ex.spec.command;
  const deadline = now() + ex.spec.timeoutMs;
  if (j.restore && ex.spec.onRestore !== undefined) {
    // What the image remembers of its old address is fixed before the test: a failure here is the node's, not the update's.
    appendFileSync(logPath, `== on_restore: image ${j.restore.image} booted at ${j.restore.newAddress} (its baseline ran at ${j.restore.oldAddress || 'an unrecorded address'})\n`);
    for (const command of typeof ex.spec.onRestore === 'string' ? [ex.spec.onRestore] : ex.spec.onRestore) {
      const r = await runRemote({
        client: j.client, command, dir: j.remoteDir, logPath, timeoutMs: Math.max(1, deadline - now()),
        maxLogBytes: j.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES, killGraceMs: j.killGraceMs, signal: ex.signal,
      });
      const o = remoteOutcome(r.exit, ex.spec.timeoutMs, command, node);
      if (o.result === 'success') continue;
      if (o.result === 'cancelled' || o.result === 'timeout') return { ...o, node, logPath };
      return { result: 'infra', reason: `the image's on_restore hook failed on ${node}: ${o.reason}`, node, logPath };
    }
  }
  let outcome: ExecutionOutcome = { result: 'success', reason: 'the tests passed', node, logPath, resultsDir: join(j.localDir, 'results') };
  for (const command of commands) {
    const r = await runRemote({
      client: j.client, command, dir: j.remoteDir, logPath, timeoutMs: Math.max(1, deadline - now()),
      maxLogBytes: j.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES, killGraceMs: j.killGraceMs, signal: ex.signal,
      ...(j.role ? { linePrefix: `[${j.role.name}] ` } : {}),
    });
    if (r.exit.kind === 'connection_lost') j.onConnectionLost?.(r.exit.message);
    const o = remoteOutcome(r.exit, ex.spec.timeoutMs, commands.length > 1 ? command : undefined, node);
    if (o.result !== 'success') { outcome = { ...outcome, ...o }; break; }
  }
  if (outcome.result === 'success' || outcome.result === 'failure') {
    await fetchResults(j.client, posix.join(j.remoteDir, 'results'), join(j.localDir, 'results'));
    if (ex.delivery) await collectFromNode(j.client, ex.delivery, j.localDir, logPath);
  }
  return outcome;
}

/**
 * The job directory on the host: the update files in `update/`, every input directory
 * delivered (content-addressed, checked on the node) with its repository file in `repos/`,
 * the configuration's files in `config/` if named, and the environment file only its owner
 * reads, its paths the node's own.
 */
async function prepare(j: SshJob, logPath: string): Promise<{ ok: true } | { ok: false; reason: string; verified?: false }> {
  const { client, remoteDir: dir, execution: ex } = j;
  try {
    const updateDir = posix.join(dir, 'update');
    // Manifests first, on the worker: a directory that cannot be read fails before the node is touched.
    const trees: TreeToDeliver[] = [];
    for (const [variable, localDir] of Object.entries(ex.inputDirs ?? {})) trees.push({ variable, localDir, manifest: await treeManifest(localDir) });
    // By SFTP rather than `mkdir -p`: a command costs a login shell, which can be slow to start.
    const sftp = await openSftp(client);
    let inputs: Record<string, string> = {};
    let configDir = j.configDir;
    try {
      await sftpMkdirs(sftp, dir, ['update', 'results', 'repos']);
      for (const f of ex.updateFiles) await sftpWrite(sftp, posix.join(updateDir, basename(f.name)), f.content);
      const sent = await sendTrees(sftp, j.cacheDir, trees);
      if (trees.length > 0) appendFileSync(logPath, `== delivered to ${j.node}: ${sent.filesSent} files (${sent.bytesSent} bytes) sent, ${sent.present} of ${trees.length} directories already there\n`);
      inputs = { ...sent.paths };
      for (const t of trees) {
        if (!namesRepository(t.variable)) continue;
        const file = posix.join(dir, 'repos', `${repoIdOf(t.variable)}.repo`);
        await sftpWrite(sftp, file, repoFile(t.variable, sent.paths[t.variable] as string, repoFileOptions(ex)));
        inputs[`${t.variable}_FILE`] = file;
      }
      if (j.configFiles && j.configFiles.paths.length > 0) {
        configDir = posix.join(dir, 'config');
        await sendConfigFiles(sftp, j.configFiles.root, j.configFiles.paths, configDir);
      }
      const first = ex.updateFiles[0];
      const env = jobEnvironment(ex, {
        workDir: dir, updatePath: first ? posix.join(updateDir, basename(first.name)) : '', updateDir, configDir, resultsDir: posix.join(dir, 'results'), inputs,
      });
      if (j.restore) Object.assign(env, { SLUICE_IMAGE_OLD_IP: j.restore.oldAddress, SLUICE_IMAGE_NEW_IP: j.restore.newAddress });
      if (j.role) {
        const hosts = posix.join(dir, 'hosts');
        await sftpWrite(sftp, hosts, j.role.hosts);
        Object.assign(env, j.role.env, { SLUICE_HOSTS_FILE: hosts });
      }
      // The host's own PATH is kept (env -i PATH="$PATH"): the worker's means nothing there.
      delete env.PATH;
      await sftpWrite(sftp, posix.join(dir, ENV_FILE), envFile(env), 0o600);
    } finally {
      sftp.end();
    }
    const verified = await verifyOnNode(client, j.cacheDir, trees, j.node);
    if (verified.log !== '') appendFileSync(logPath, `${verified.log}\n`);
    if (!verified.ok) {
      appendFileSync(logPath, `INFRA: ${verified.reason}\n`);
      return { ok: false, reason: verified.reason, verified: false };
    }
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}

/** The named files (or directories) of the configuration's directory, with their modes: test scripts stay executable. */
async function sendConfigFiles(sftp: SFTPWrapper, root: string, paths: readonly string[], to: string): Promise<void> {
  const send = async (rel: string): Promise<void> => {
    const local = join(root, rel);
    const st = statSync(local);
    const remote = posix.join(to, ...rel.split(sep));
    if (st.isDirectory()) {
      await sftpMkdirs(sftp, remote, []);
      for (const name of readdirSync(local).sort()) await send(join(rel, name));
    } else if (st.isFile()) {
      await sftpWrite(sftp, remote, readFileSync(local), st.mode & 0o755);
    }
  };
  await sftpMkdirs(sftp, to, []);
  for (const p of paths) {
    const parent = posix.dirname(p.split(sep).join('/'));
    if (parent !== '.') await sftpMkdirs(sftp, posix.join(to, parent), []);
    await send(normalize(p));
  }
}

/** Test results the commands wrote ($SLUICE_RESULTS_DIR), copied beside the log for analysis; best effort. */
async function fetchResults(client: Client, remote: string, local: string): Promise<void> {
  try {
    const sftp = await openSftp(client);
    try {
      for (const f of await sftpList(sftp, remote)) {
        if (f.isFile) await sftpGet(sftp, posix.join(remote, f.name), join(local, basename(f.name)));
      }
    } finally {
      sftp.end();
    }
  } catch {
    // No results is what analysis sees when a job wrote none.
  }
}
