import { execFile, spawnSync } from 'node:child_process';
import { accessSync, chownSync, constants, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

// A real, throwaway PostgreSQL for integration tests: one server per test process
// (node --test runs each file in its own process), started on first use, one fresh
// database per caller. With SLUICE_TEST_PG_URL set, databases are made on that
// server instead and dropped afterwards.

export const PG_MISSING = 'PostgreSQL not installed: apt-get install postgresql, or run npm test which installs it';

export interface PgServer {
  /** A new, empty database; its URL. */
  createDatabase(): Promise<string>;
  /** Drops a database made by createDatabase (a no-op on a private server, deleted whole). */
  dropDatabase(url: string): Promise<void>;
  stop(): Promise<void>;
}

export type PgAvailability = { ok: true; server: PgServer } | { ok: false; reason: string };

const run = promisify(execFile);
let started: Promise<PgAvailability> | undefined;

/** The process's PostgreSQL, started on the first call. */
export function postgres(): Promise<PgAvailability> {
  started ??= start();
  return started;
}

/** Stops the server if one was started; safe to call more than once. */
export async function stopPostgres(): Promise<void> {
  const available = started && (await started);
  if (available?.ok) await available.server.stop();
}

async function start(): Promise<PgAvailability> {
  const external = process.env.SLUICE_TEST_PG_URL;
  if (external) return { ok: true, server: externalServer(external) };
  const bin = findBinDir();
  if (!bin) return { ok: false, reason: PG_MISSING };
  return { ok: true, server: await privateServer(bin) };
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The directory holding initdb and pg_ctl (and postgres beside them). */
function findBinDir(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const initdb = join(dir, 'initdb');
    if (isExecutable(initdb) && isExecutable(join(dir, 'pg_ctl'))) return dirname(realpathSync(initdb));
  }
  const root = '/usr/lib/postgresql';
  let versions: string[] = [];
  try {
    versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  } catch {
    return undefined;
  }
  return versions.map((v) => join(root, v, 'bin')).find((dir) => isExecutable(join(dir, 'initdb')));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** PostgreSQL refuses to run as root: then every server command runs as `postgres`. */
function serverUser(): { uid: number; gid: number; wrap: (cmd: string, args: string[]) => [string, string[]] } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string): number => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  if (!Number.isInteger(uid) || uid <= 0) throw new Error('running as root and there is no postgres user to run the test server as');
  return { uid, gid: id('-g'), wrap: (cmd, args) => ['runuser', ['-u', 'postgres', '--', cmd, ...args]] };
}

async function privateServer(bin: string): Promise<PgServer> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-pg-'));
  const data = join(dir, 'data');
  const user = serverUser();
  if (user) chownSync(dir, user.uid, user.gid);
  const exec = (tool: string, args: string[]) => {
    const [cmd, argv] = user ? user.wrap(join(bin, tool), args) : [join(bin, tool), args];
    return run(cmd, argv, { timeout: 60_000 });
  };
  const pgCtl = (args: string[]) => exec('pg_ctl', ['-D', data, ...args]);

  await exec('initdb', ['-D', data, '-U', 'sluice', '-A', 'trust', '-E', 'UTF8', '--no-sync']);
  let port = 0;
  for (let attempt = 1; ; attempt += 1) {
    port = await freePort();
    // Durability is pointless for a throwaway cluster; fsync=off makes it fast.
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
    try {
      await pgCtl(['-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', options, 'start']);
      break;
    } catch (error) {
      if (attempt >= 3) throw new Error(`PostgreSQL did not start (log in ${dir}/server.log)`, { cause: error });
    }
  }

  let stopped = false;
  const stopNow = () => {
    if (stopped) return;
    stopped = true;
    const [cmd, argv] = user
      ? user.wrap(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop'])
      : [join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']];
    spawnSync(cmd, argv, { stdio: 'ignore', timeout: 30_000 });
    rmSync(dir, { recursive: true, force: true });
  };
  // A test process that dies before its after-hook still takes its server with it.
  process.once('exit', stopNow);

  let counter = 0;
  return {
    async createDatabase() {
      const name = `sluice_test_${++counter}`;
      await admin(`postgres://sluice@127.0.0.1:${port}/postgres`, `create database ${name} strategy file_copy`);
      return `postgres://sluice@127.0.0.1:${port}/${name}`;
    },
    async dropDatabase() {},
    async stop() {
      stopNow();
    },
  };
}

function externalServer(url: string): PgServer {
  const made = new Set<string>();
  const withDatabase = (name: string): string => {
    const u = new URL(url);
    u.pathname = `/${name}`;
    return u.toString();
  };
  return {
    async createDatabase() {
      const name = `sluice_test_${process.pid}_${made.size + 1}_${Date.now()}`;
      await admin(url, `create database ${name}`);
      made.add(name);
      return withDatabase(name);
    },
    async dropDatabase(dbUrl) {
      const name = new URL(dbUrl).pathname.slice(1);
      if (!made.delete(name)) return;
      await admin(url, `drop database if exists ${name} with (force)`);
    },
    async stop() {
      for (const name of [...made]) await this.dropDatabase(withDatabase(name));
    },
  };
}

async function admin(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
