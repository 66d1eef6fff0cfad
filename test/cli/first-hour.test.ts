import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, utimesSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT, tempDir } from '../helpers/paths.js';
import { requireRpmTools } from '../helpers/rpm.js';

/**
 * A new user's first hour, as the README tells it: in a fresh clone, every command of the
 * README's set-up, every command `npm run demo` prints (what it ran, and what to do next),
 * every command of the README's "Using it" (placeholders replaced by the demo's own run,
 * job and log), and `sluice init`'s hints, each run as printed by a shell, in the
 * directory where they say to run it. One that exits with another status than the one
 * it is documented to have (0, or "exits N here" in its comment) fails the test, and so
 * does any request to a package registry: npm is pointed at a registry on a loopback
 * port that answers nothing but records what it was asked.
 *
 * The clone gets the project's installed node_modules (a user's first `npm run demo`
 * installs them with `npm ci`, which needs the registry); `npm test` is the suite itself
 * and is not run again.
 */
const NOT_RUN = new Set(['npm test']);

interface Ran { readonly command: string; readonly status: number; readonly output: string; readonly expected: number }

test('every command the README and the demo print works as printed in a fresh clone, and none asks a package registry for anything', { timeout: 15 * 60_000 }, async (t) => {
  const nodeModules = join(PROJECT_ROOT, 'node_modules');
  if (!existsSync(nodeModules) || !existsSync(join(PROJECT_ROOT, '.git'))) {
    t.skip('needs the project as a git clone with its node_modules installed');
    return;
  }
  // Without them the demo stops after phase1, and prints no phase2 run to explain.
  if (!requireRpmTools(t)) return;
  const root = tempDir(t, 'sluice-first-hour-');
  outputs = join(root, 'outputs');
  mkdirSync(outputs);
  const clone = join(root, 'clone');
  freshClone(clone);
  symlinkSync(realpathSync(nodeModules), join(clone, 'node_modules'));
  // As installed: the lock is not newer than what npm ci installed (a clone's files are all new).
  utimesSync(join(clone, 'package-lock.json'), new Date(2000, 0, 1), new Date(2000, 0, 1));

  const registry = await recordingRegistry();
  t.after(() => registry.server.close());
  const env: Record<string, string> = {
    ...stringEnv(process.env),
    npm_config_registry: registry.url,
    npm_config_cache: join(root, 'npm-cache'),
    // npm's own check for a newer npm is not a command of ours.
    npm_config_update_notifier: 'false',
    TMPDIR: root,
    SLUICE_USER: 'new-user',
  };
  for (const name of ['SLUICE_CONFIG', 'SLUICE_STORE', 'npm_config_offline', 'npm_config_prefer_offline']) delete env[name];
  const readme = readFileSync(join(clone, 'README.md'), 'utf8');
  const ran: Ran[] = [];

  // The set-up: one shell, as a user types it in the clone.
  const setup = shBlock(readme, '## Set-up on a fresh machine').filter((c) => !NOT_RUN.has(c.command));
  assert.deepEqual(setup.map((c) => c.command), ['npm run demo', 'export PATH="$PWD/bin:$PATH"']);
  const setupRan = await session(clone, env, setup.map((c) => c.command));
  ran.push(...setupRan.map((r, i) => ({ ...r, expected: setup[i]!.expected })));
  const demoOut = setupRan[0]!.output;
  const demoDir = /^Sluice demo in (.+)$/m.exec(demoOut)?.[1];
  assert.ok(demoDir && existsSync(demoDir), `the demo printed its directory:\n${demoOut}`);
  const binPath = `${join(clone, 'bin')}:${env.PATH ?? ''}`;

  // What the demo ran, echoed as `$ COMMAND`: again, in its directory. Two exit 1 by design.
  const echoed = [...demoOut.matchAll(/^\$ (.+)$/gm)].map((m) => m[1]!);
  assert.ok(echoed.length >= 6, demoOut);
  const echoedExpected = (c: string) => (/^sluice check /.test(c) ? 1 : c === 'sluice phase2' ? 1 : 0); // x0rz.yml is broken on purpose; cl2m fails again
  const again = await session(demoDir, { ...env, PATH: binPath }, echoed);
  ran.push(...again.map((r) => ({ ...r, expected: echoedExpected(r.command) })));

  // What to do next, as the demo's last lines say: in a new shell, copied as they are.
  const next = demoOut.slice(demoOut.indexOf('Next, in a shell'));
  const nextCommands = [...next.matchAll(/^ {2}(.+?)(?: +# .*)?$/gm)].map((m) => m[1]!);
  // Not run with this clone's bin on PATH, the demo says how to put it there.
  assert.deepEqual(nextCommands.map((c) => (c.startsWith('sluice ') ? c.split(' ').slice(0, 2).join(' ') : c.split(/[ =]/)[0])), ['export', 'cd', 'sluice explain', 'sluice logs', 'sluice serve'], next);
  const serveAt = nextCommands.indexOf('sluice serve');
  const nextRan = await session(root, env, nextCommands.slice(0, serveAt));
  ran.push(...nextRan.map((r) => ({ ...r, expected: 0 })));
  assert.match(nextRan.find((r) => r.command.startsWith('sluice explain'))!.output, /culprit cl2m: failed the tests on its own/);
  assert.match(nextRan.find((r) => r.command.startsWith('sluice logs'))!.output, /ImportError: cannot import name types/);

  // The README's "Using it", placeholders replaced by what the demo made.
  const phase1Run = /run (\S+) \(phase1 of pk7q\): PASS/.exec(demoOut)?.[1];
  const job = /^ {4}sluice logs (\S+)$/m.exec(demoOut)?.[1];
  const logFile = /^ {4}full log: (\S+)$/m.exec(demoOut)?.[1];
  assert.ok(phase1Run && job && logFile, demoOut);
  const values: Record<string, string> = { RUN: phase1Run, JOB: job, LOGFILE: logFile };
  const usage = shBlock(readme, '## Using it');
  assert.ok(usage.length >= 15, 'the README lists its commands');
  const unknown = usage.flatMap((c) => c.command.match(/\b[A-Z][A-Z_]{2,}\b/g) ?? []).filter((p) => !(p in values));
  assert.deepEqual(unknown, [], 'every placeholder of the README is one the test can fill');
  const fill = (c: string) => c.replace(/\b[A-Z][A-Z_]{2,}\b/g, (p) => values[p] ?? p);
  const usageServe = usage.findIndex((c) => c.command === 'sluice serve');
  const batch = usage.filter((_, i) => i !== usageServe);
  const usageRan = await session(demoDir, { ...env, PATH: binPath }, batch.map((c) => fill(c.command)));
  ran.push(...usageRan.map((r, i) => ({ ...r, expected: batch[i]!.expected })));

  // `sluice init`'s hints, from where it ran.
  const init = usageRan.find((r) => r.command.startsWith('sluice init'));
  assert.ok(init, 'the README runs sluice init');
  const hints = [...init.output.matchAll(/^ {2}(\S.*?)(?: +# .*)?$/gm)].map((m) => m[1]!);
  assert.ok(hints.some((h) => h.startsWith('cd ')) && hints.some((h) => h.startsWith('sluice ')), init.output);
  ran.push(...(await session(demoDir, { ...env, PATH: binPath }, hints)).map((r) => ({ ...r, expected: 0 })));

  // `sluice serve`, as both the demo and the README print it: the dashboard answers, and a job id printed by the demo opens.
  const served = await serve(demoDir, { ...env, PATH: binPath }, job);
  ran.push({ command: 'sluice serve', status: served.status, output: served.output, expected: 0 });

  const wrong = ran.filter((r) => r.status !== r.expected);
  assert.deepEqual(wrong.map((r) => `${r.command}: exit ${r.status}, expected ${r.expected}\n${r.output.slice(-2000)}`), []);
  assert.deepEqual(registry.asked, [], 'no command asked the package registry for anything');
  for (const r of ran) assert.doesNotMatch(r.output, /npm warn|MaxListenersExceededWarning|ExperimentalWarning|\(node:\d+\) /, `${r.command} printed a warning:\n${r.output.slice(-2000)}`);
});

/** A clone of the project's committed tree, with the working tree's uncommitted files laid over it. */
function freshClone(clone: string): void {
  execFileSync('git', ['clone', '-q', '--no-hardlinks', PROJECT_ROOT, clone], { stdio: 'ignore' });
  const files = execFileSync('git', ['-C', PROJECT_ROOT, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8' }).split('\0').filter((f) => f !== '');
  for (const f of files) {
    const from = join(PROJECT_ROOT, f);
    const to = join(clone, f);
    if (!existsSync(from)) { rmSync(to, { force: true }); continue; }
    if (existsSync(to) && readFileSync(from).equals(readFileSync(to))) continue;
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(from, to);
  }
}

/** The commands of the first ```sh block after a heading, each with the exit status its comment documents. */
function shBlock(readme: string, heading: string): { command: string; expected: number }[] {
  const after = readme.slice(readme.indexOf(heading));
  const block = /```sh\n([\s\S]*?)```/.exec(after)?.[1] ?? '';
  return block.split('\n').filter((l) => l.trim() !== '').map((line) => {
    const [command = '', comment = ''] = line.split(/\s+# /, 2);
    const here = /exits (\d) here/.exec(comment);
    return { command: command.trim(), expected: here ? Number(here[1]) : 0 };
  });
}

/** Runs commands one after the other in one bash, as typed: each one's status and output. */
async function session(cwd: string, env: Record<string, string>, commands: readonly string[]): Promise<{ command: string; status: number; output: string }[]> {
  const dir = tempDirOf(cwd);
  const script = commands.map((c, i) => `{ ${c}\n} >${join(dir, `${i}.out`)} 2>&1 </dev/null; echo "$?" >${join(dir, `${i}.status`)}`).join('\n');
  await run('bash', ['-c', script], cwd, env);
  return commands.map((command, i) => ({
    command,
    status: Number(readFileSync(join(dir, `${i}.status`), 'utf8').trim()),
    output: readFileSync(join(dir, `${i}.out`), 'utf8'),
  }));
}

/** Where a session's outputs go: beside the clone, removed with it. */
let outputs = '';
function tempDirOf(_cwd: string): string {
  return mkdtempSync(join(outputs, 'session-'));
}

function run(cmd: string, args: string[], cwd: string, env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? -1));
  });
}

/** `sluice serve` until its dashboard answers the front page and a job's page; then Ctrl-C. */
async function serve(cwd: string, env: Record<string, string>, jobId: string): Promise<{ status: number; output: string }> {
  // The printed command as it is, unless another program holds its port here.
  const args = (await portFree(8080)) ? [] : ['--listen', '127.0.0.1:0'];
  const child = spawn('bash', ['-c', `exec sluice serve ${args.join(' ')}`], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
  const url = await new Promise<string | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), 60_000);
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
      const m = /dashboard and API on (http:\/\/\S+?)\/ /.exec(output);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on('close', () => { clearTimeout(timer); resolve(undefined); });
  });
  const exited = new Promise<number>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.on('close', (code) => resolve(code ?? -1));
  });
  let status = 1;
  if (url) {
    const front = await fetch(`${url}/`);
    const jobPage = await fetch(`${url}/jobs/${encodeURIComponent(jobId)}`);
    const body = await jobPage.text();
    if (front.status !== 200) output += `\nGET / answered ${front.status}`;
    if (jobPage.status !== 200 || !body.includes(jobId)) output += `\nGET /jobs/${jobId} answered ${jobPage.status}`;
    child.kill('SIGINT');
    const code = await exited;
    status = front.status === 200 && jobPage.status === 200 && body.includes(jobId) ? code : 1;
  } else {
    child.kill('SIGKILL');
    await exited;
    output += '\nthe dashboard never said where it answers';
  }
  return { status, output };
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createNetServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** A package registry on a loopback port that records each request and has nothing. */
async function recordingRegistry(): Promise<{ server: Server; url: string; asked: string[] }> {
  const asked: string[] = [];
  const server = createServer((req, res) => {
    asked.push(`${req.method} ${req.url}`);
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { server, url: `http://127.0.0.1:${port}/`, asked };
}

function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}
