import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A real OpenSSH server on a loopback port, for the Gerrit stream tests: host and client
 * keys are generated per test (ssh-keygen), and the client key's authorized_keys entry
 * forces stream-events-standin.js, which plays `gerrit stream-events` by following an
 * events file the test appends to. Missing sshd skips the test with a message, except
 * under CI, where it fails.
 */

export const SSHD = '/usr/sbin/sshd';
export const SSHD_MISSING = 'OpenSSH server not installed (/usr/sbin/sshd): apt-get install openssh-server, or run npm test which installs it';

export interface TestSshd {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** The client's private key and the known_hosts file holding the server's key. */
  readonly keyFile: string;
  readonly knownHostsFile: string;
  /** Another key pair's host entry: a server Sluice must refuse. */
  readonly wrongKnownHostsFile: string;
  /** Appends one event line, as Gerrit would print it. */
  append(event: unknown): void;
  /** Resolves once `n` stream-events sessions are listening. */
  listening(n?: number, timeoutMs?: number): Promise<void>;
  /** Kills every stream-events session: the clients see their connections end. */
  dropConnections(): void;
  /** The commands clients asked to run, in order. */
  commands(): string[];
  stop(): Promise<void>;
  start(): Promise<void>;
}

export function requireSshd(t: { skip: (msg: string) => void }): boolean {
  if (existsSync(SSHD) && spawnSync('ssh-keygen', ['-?'], { stdio: 'ignore' }).error === undefined) return true;
  const ci = (process.env.CI ?? '').trim().toLowerCase();
  if (ci !== '' && ci !== '0' && ci !== 'false') throw new Error(`${SSHD_MISSING} (CI is set: these tests must run)`);
  t.skip(SSHD_MISSING);
  return false;
}

export async function startSshd(t: { after: (fn: () => void | Promise<void>) => void }): Promise<TestSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-sshd-'));
  const keygen = (file: string) => {
    const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'sluice-test', '-f', file], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ssh-keygen: ${r.stderr}`);
  };
  keygen(join(dir, 'host_key'));
  keygen(join(dir, 'other_host_key'));
  keygen(join(dir, 'client_key'));
  const eventsFile = join(dir, 'events.jsonl');
  const pidDir = join(dir, 'sessions');
  const commandLog = join(dir, 'commands.log');
  writeFileSync(eventsFile, '');
  writeFileSync(commandLog, '');
  mkdirSync(pidDir);
  const script = join(dirname(fileURLToPath(import.meta.url)), 'stream-events-standin.js');
  const forced = `${process.execPath} ${script} ${eventsFile} ${pidDir} ${commandLog}`;
  writeFileSync(join(dir, 'authorized_keys'), `command="${forced}",no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty ${readFileSync(join(dir, 'client_key.pub'), 'utf8')}`);
  const port = await freePort();
  const user = userInfo().username;
  writeFileSync(join(dir, 'sshd_config'), [
    `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${join(dir, 'host_key')}`, `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`, 'PubkeyAuthentication yes', 'PasswordAuthentication no',
    'KbdInteractiveAuthentication no', 'UsePAM no', 'StrictModes no', `AllowUsers ${user}`, 'PermitRootLogin prohibit-password',
    'LogLevel ERROR', '',
  ].join('\n'));
  const hostKey = (file: string) => readFileSync(file, 'utf8').split(' ').slice(0, 2).join(' ');
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostKey(join(dir, 'host_key.pub'))}\n`);
  writeFileSync(join(dir, 'wrong_known_hosts'), `[127.0.0.1]:${port} ${hostKey(join(dir, 'other_host_key.pub'))}\n`);
  // sshd running as root wants its privilege separation directory, as the Debian service makes it.
  if (process.getuid?.() === 0 && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });

  let child: ChildProcess | undefined;
  let stderr = '';
  const start = async () => {
    stderr = '';
    const c = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    c.stderr?.on('data', (d: Buffer) => { stderr += d.toString('utf8'); });
    const until = Date.now() + 10_000;
    while (!(await canConnect(port))) {
      if (c.exitCode !== null || Date.now() > until) throw new Error(`sshd did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const sessions = () => readdirSync(pidDir).map(Number).filter((pid) => alive(pid));
  const dropConnections = () => {
    for (const pid of readdirSync(pidDir)) {
      try { process.kill(Number(pid), 'SIGKILL'); } catch { /* already gone */ }
      rmSync(join(pidDir, pid), { force: true });
    }
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (c && c.exitCode === null) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await exited;
    }
    dropConnections();
  };
  // One hook, in this order: sshd must not outlive its keys and configuration.
  t.after(async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await start();
  return {
    host: '127.0.0.1', port, user,
    keyFile: join(dir, 'client_key'), knownHostsFile: join(dir, 'known_hosts'), wrongKnownHostsFile: join(dir, 'wrong_known_hosts'),
    append: (event) => appendFileSync(eventsFile, `${typeof event === 'string' ? event : JSON.stringify(event)}\n`),
    async listening(n = 1, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      while (sessions().length < n) {
        if (Date.now() > until) throw new Error(`${sessions().length} stream-events sessions, waited for ${n}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    dropConnections,
    commands: () => readFileSync(commandLog, 'utf8').split('\n').filter((l) => l !== ''),
    stop, start,
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });
}

/** A plain OpenSSH server: key logins get a normal shell, as an ssh provider's host gives. */
export interface ShellSshd {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** The pid of the listening sshd (its children are the connections). */
  pid(): number | undefined;
  /** Kills every connection's sshd process: clients see their connections drop. */
  dropConnections(): void;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface ShellSshds {
  readonly servers: readonly ShellSshd[];
  /** One client key that every server accepts, and one known_hosts listing every server. */
  readonly keyFile: string;
  readonly knownHostsFile: string;
  /** The directory holding the keys (removed when the test ends). */
  readonly dir: string;
}

/**
 * `n` sshd on loopback ports without a forced command, sharing one client key made for
 * this test; each with its own host key, all listed in one known_hosts file.
 */
export async function startShellSshds(t: { after: (fn: () => void | Promise<void>) => void }, n = 1, opts: { alsoListenOn?: readonly string[] } = {}): Promise<ShellSshds> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-shell-sshd-'));
  const keygen = (file: string) => {
    const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'sluice-test', '-f', file], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ssh-keygen: ${r.stderr}`);
  };
  keygen(join(dir, 'client_key'));
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub'), 'utf8'));
  if (process.getuid?.() === 0 && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });
  const user = userInfo().username;
  const servers: ShellSshd[] = [];
  const stops: (() => Promise<void>)[] = [];
  t.after(async () => {
    for (const stop of stops) await stop();
    rmSync(dir, { recursive: true, force: true });
  });
  let knownHosts = '';
  for (let i = 0; i < n; i++) {
    keygen(join(dir, `host_key_${i}`));
    const port = await freePort();
    const config = join(dir, `sshd_config_${i}`);
    writeFileSync(config, [
      `Port ${port}`, 'ListenAddress 127.0.0.1', ...(opts.alsoListenOn ?? []).map((a) => `ListenAddress ${a}`), `HostKey ${join(dir, `host_key_${i}`)}`, `PidFile ${join(dir, `sshd_${i}.pid`)}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`, 'PubkeyAuthentication yes', 'PasswordAuthentication no',
      'KbdInteractiveAuthentication no', 'UsePAM no', 'StrictModes no', `AllowUsers ${user}`, 'PermitRootLogin prohibit-password',
      'Subsystem sftp internal-sftp', 'MaxSessions 50', 'MaxStartups 50', 'LogLevel ERROR', '',
    ].join('\n'));
    knownHosts += `[127.0.0.1]:${port} ${readFileSync(join(dir, `host_key_${i}.pub`), 'utf8').split(' ').slice(0, 2).join(' ')}\n`;
    let child: ChildProcess | undefined;
    const start = async () => {
      let stderr = '';
      const c = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
      child = c;
      c.stderr?.on('data', (d: Buffer) => { stderr += d.toString('utf8'); });
      const until = Date.now() + 10_000;
      while (!(await canConnect(port))) {
        if (c.exitCode !== null || Date.now() > until) throw new Error(`sshd did not start: ${stderr}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    const connectionPids = (): number[] => {
      const parent = child?.pid;
      if (parent === undefined) return [];
      return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
        try { return readFileSync(`/proc/${p}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1] === String(parent); } catch { return false; }
      }).map(Number);
    };
    const dropConnections = () => {
      for (const pid of connectionPids()) { try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ } }
    };
    const stop = async () => {
      const c = child;
      child = undefined;
      if (c && c.exitCode === null) {
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        await exited;
      }
    };
    stops.push(async () => { dropConnections(); await stop(); });
    await start();
    servers.push({ host: '127.0.0.1', port, user, pid: () => child?.pid, dropConnections, stop, start });
  }
  writeFileSync(join(dir, 'known_hosts'), knownHosts);
  return { servers, keyFile: join(dir, 'client_key'), knownHostsFile: join(dir, 'known_hosts'), dir };
}
