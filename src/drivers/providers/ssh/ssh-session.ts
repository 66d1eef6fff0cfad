import { Client, type ClientChannel, type SFTPWrapper } from 'ssh2';
import type { KnownHosts } from '../../gerrit/known-hosts.js';
import type { SshHost } from './ssh-config.js';

export interface ConnectOptions {
  readonly privateKey: Buffer;
  readonly knownHosts: KnownHosts;
  readonly connectTimeoutMs: number;
}

export type Connected =
  | { readonly ok: true; readonly client: Client }
  /** `hostKeyRefused`: the host answered with a key it must not have; trying again will not help. */
  | { readonly ok: false; readonly reason: string; readonly hostKeyRefused?: boolean };

/** Checks the key a host presented (SSH wire format): undefined to accept it, else why it is refused. */
export type HostKeyCheck = (key: Buffer) => string | undefined;

/**
 * One SSH connection to a host, its key checked against known_hosts (never trusted on
 * first use). Keepalives notice a host that vanished without closing the connection.
 */
export function connect(h: SshHost, o: ConnectOptions): Promise<Connected> {
  return connectChecked(h, {
    privateKey: o.privateKey, connectTimeoutMs: o.connectTimeoutMs,
    checkHostKey: (key) => {
      if (o.knownHosts.verify(h.host, h.port, key)) return undefined;
      return o.knownHosts.lists(h.host, h.port) ? `the host key of ${h.host}:${h.port} is not the one in known_hosts_file: refusing it` : `${h.host}:${h.port} is not in known_hosts_file: add its host key (ssh-keyscan -p ${h.port} ${h.host})`;
    },
  });
}

/** One SSH connection whose host key is judged by `checkHostKey` (a cloud server's keys are learnt at run time). */
export function connectChecked(h: Pick<SshHost, 'host' | 'port' | 'user'>, o: { readonly privateKey: Buffer; readonly connectTimeoutMs: number; readonly checkHostKey: HostKeyCheck }): Promise<Connected> {
  return new Promise((resolve) => {
    const client = new Client();
    let refused: string | undefined;
    let settled = false;
    const settle = (r: Connected) => { if (!settled) { settled = true; resolve(r); } };
    const failed = (reason: string): Connected => (refused ? { ok: false, reason: refused, hostKeyRefused: true } : { ok: false, reason });
    client.once('ready', () => settle({ ok: true, client }));
    client.once('error', (e) => { settle(failed(e.message)); client.end(); });
    client.once('close', () => settle(failed('the connection closed during the handshake')));
    client.connect({
      host: h.host, port: h.port, username: h.user, privateKey: o.privateKey,
      readyTimeout: o.connectTimeoutMs, keepaliveInterval: 10_000, keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => {
        refused = o.checkHostKey(key);
        return refused === undefined;
      },
    });
  });
}

export function openExec(client: Client, command: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => client.exec(command, (err, channel) => (err ? reject(err) : resolve(channel))));
}

/** Runs a short housekeeping command (mkdir, kill) and resolves with its exit status and output. */
export async function run(client: Client, command: string): Promise<{ code: number | null; output: string }> {
  const channel = await openExec(client, command);
  return new Promise((resolve) => {
    let output = '';
    let code: number | null = null;
    channel.on('data', (d: Buffer) => { output += d.toString('utf8'); });
    channel.stderr.on('data', (d: Buffer) => { output += d.toString('utf8'); });
    channel.on('exit', (c: number | null) => { code = c; });
    channel.on('close', () => resolve({ code, output }));
    channel.end();
  });
}

export function openSftp(client: Client): Promise<SFTPWrapper> {
  return new Promise((resolve, reject) => client.sftp((err, sftp) => (err ? reject(err) : resolve(sftp))));
}

export function sftpWrite(sftp: SFTPWrapper, path: string, content: string | Buffer, mode = 0o644): Promise<void> {
  return new Promise((resolve, reject) => sftp.writeFile(path, content, { mode }, (err) => (err ? reject(err) : resolve())));
}

export function sftpList(sftp: SFTPWrapper, path: string): Promise<{ name: string; isFile: boolean }[]> {
  return new Promise((resolve, reject) => sftp.readdir(path, (err, list) => (err
    ? reject(err)
    : resolve(list.map((e) => ({ name: e.filename, isFile: e.attrs.isFile() }))))));
}

export function sftpGet(sftp: SFTPWrapper, remote: string, local: string): Promise<void> {
  return new Promise((resolve, reject) => sftp.fastGet(remote, local, (err) => (err ? reject(err) : resolve())));
}

/** `mkdir -p dir` and its subdirectories, only the owner's; a directory already there is fine. */
export async function sftpMkdirs(sftp: SFTPWrapper, dir: string, subdirs: readonly string[]): Promise<void> {
  const parts = dir.split('/').filter((p) => p !== '');
  const paths = parts.map((_, i) => `/${parts.slice(0, i + 1).join('/')}`);
  for (const p of [...paths, ...subdirs.map((s) => `${dir}/${s}`)]) {
    await new Promise<void>((resolve, reject) => sftp.mkdir(p, { mode: 0o700 }, (err) => {
      if (!err) return resolve();
      // SFTP says only "failure" for an existing directory: check that it is one.
      sftp.stat(p, (e2, st) => (!e2 && st.isDirectory() ? resolve() : reject(err)));
    }));
  }
}
