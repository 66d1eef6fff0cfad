import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SSHD } from './sshd.js';

/**
 * "Remote" nodes that cannot see the worker's disk. Each is a real OpenSSH server run in
 * its own mount namespace by bubblewrap, over a root made of the host's read-only /usr and
 * /etc and nothing else of the worker: /tmp, /root, /var and /run are empty tmpfs, and
 * /work, /home and every directory a test made are simply absent. Each listens on its own
 * loopback address (127.0.0.11, .12, ...), so a job that talks to "the controller" by
 * $SLUICE_NODE_CONTROLLER_IP reaches that node and no other. A path of the worker in a
 * job's environment does not exist on such a node: a missing transfer fails as it would
 * on a cloud server.
 *
 * The node's /srv is a directory of the test (`srvDir`) so that a test can look at, or
 * tamper with, what the node received; the node itself sees it only as /srv.
 *
 * Needs root (bwrap without user namespaces) and sshd; otherwise the test is skipped with
 * a message, except under CI, where it fails.
 */

export interface IsolatedNode {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** The worker's path of the node's /srv. */
  readonly srvDir: string;
  stop(): Promise<void>;
}

export interface IsolatedNodes {
  readonly nodes: readonly IsolatedNode[];
  readonly keyFile: string;
  readonly knownHostsFile: string;
}

const MISSING = 'isolated test nodes need root, bubblewrap and the OpenSSH server: run npm test as root, which installs them';

export function requireIsolatedNodes(t: { skip: (msg: string) => void }): boolean {
  const ok = process.getuid?.() === 0 && existsSync(SSHD) && spawnSync('bwrap', ['--version'], { stdio: 'ignore' }).status === 0;
  if (ok) return true;
  const ci = (process.env.CI ?? '').trim().toLowerCase();
  if (ci !== '' && ci !== '0' && ci !== 'false') throw new Error(`${MISSING} (CI is set: these tests must run)`);
  t.skip(MISSING);
  return false;
}

let nextAddress = 11 + (process.pid % 40) * 5;

export async function startIsolatedNodes(t: { after: (fn: () => void | Promise<void>) => void }, n = 1): Promise<IsolatedNodes> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-nodes-'));
  const keygen = (file: string) => {
    const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'sluice-test', '-f', file], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ssh-keygen: ${r.stderr}`);
  };
  keygen(join(dir, 'client_key'));
  const nodes: IsolatedNode[] = [];
  t.after(async () => {
    for (const node of nodes) await node.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  let knownHosts = '';
  for (let i = 0; i < n; i++) {
    const host = `127.0.0.${nextAddress++}`;
    if (nextAddress > 250) nextAddress = 11;
    const etc = join(dir, `node${i}`, 'sshd');
    const srvDir = join(dir, `node${i}`, 'srv');
    mkdirSync(etc, { recursive: true });
    mkdirSync(srvDir, { recursive: true });
    keygen(join(etc, 'host_key'));
    writeFileSync(join(etc, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub'), 'utf8'));
    const port = await freePort(host);
    writeFileSync(join(etc, 'sshd_config'), [
      `Port ${port}`, `ListenAddress ${host}`, 'HostKey /node/host_key', 'PidFile /run/sshd.pid',
      'AuthorizedKeysFile /node/authorized_keys', 'PubkeyAuthentication yes', 'PasswordAuthentication no',
      'KbdInteractiveAuthentication no', 'UsePAM no', 'StrictModes no', 'PermitRootLogin prohibit-password',
      'Subsystem sftp internal-sftp', 'MaxSessions 50', 'MaxStartups 50', 'LogLevel ERROR', '',
    ].join('\n'));
    knownHosts += `[${host}]:${port} ${readFileSync(join(etc, 'host_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ')}\n`;
    const args = [
      '--ro-bind', '/usr', '/usr', '--ro-bind', '/etc', '/etc',
      '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/sbin', '/sbin', '--symlink', 'usr/lib', '/lib',
      ...(existsSync('/usr/lib64') ? ['--symlink', 'usr/lib64', '/lib64'] : []),
      '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', '--tmpfs', '/run', '--dir', '/run/sshd',
      '--tmpfs', '/root', '--tmpfs', '/var', '--dir', '/var/tmp', '--bind', srvDir, '/srv', '--ro-bind', etc, '/node',
      '--die-with-parent', SSHD, '-D', '-e', '-f', '/node/sshd_config',
    ];
    let stderr = '';
    const child: ChildProcess = spawn('bwrap', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString('utf8'); });
    const until = Date.now() + 10_000;
    while (!(await canConnect(host, port))) {
      if (child.exitCode !== null || Date.now() > until) throw new Error(`isolated sshd on ${host}:${port} did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    const stop = async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    };
    nodes.push({ host, port, user: 'root', srvDir, stop });
  }
  writeFileSync(join(dir, 'known_hosts'), knownHosts);
  return { nodes, keyFile: join(dir, 'client_key'), knownHostsFile: join(dir, 'known_hosts') };
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host, port });
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });
}
