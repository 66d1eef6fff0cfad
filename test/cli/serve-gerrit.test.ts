import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { WEBHOOK_PATH } from '../../src/drivers/gerrit/webhook.js';
import { BOT, GerritStandin } from '../helpers/gerrit-standin.js';
import { runCli } from '../helpers/cli.js';
import { PROJECT_ROOT, tempDir } from '../helpers/paths.js';
import { makeSite, updateText } from '../helpers/site.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Adds a `gerrit:` section (webhook, submit) to the site's sluice.yaml; answers the environment serve needs. */
function followGerrit(dir: string, gerrit: GerritStandin, more = ''): NodeJS.ProcessEnv {
  writeFileSync(join(dir, 'sluice.yaml'), `${readFileSync(join(dir, 'sluice.yaml'), 'utf8')}${more}gerrit:
  url: "${gerrit.url}"
  project: ${gerrit.project}
  http: { user: ${BOT.username}, password_env: GERRIT_PW }
  webhook: { listen: "127.0.0.1:0", secret_env: HOOK_SECRET }
  submit: true
`);
  return { ...process.env, GERRIT_PW: gerrit.password, HOOK_SECRET: 'hook-secret' };
}

/** `sluice serve` as a real process with its Gerrit webhook; answers once the webhook listens. */
async function startServe(t: TestContext, dir: string, env: NodeJS.ProcessEnv): Promise<{ serve: ChildProcess; port: number; stderr: () => string }> {
  const serve = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'sluice.js'), 'serve', '--listen', 'off'], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  serve.stderr.on('data', (d) => { stderr += String(d); });
  t.after(() => { if (serve.exitCode === null) serve.kill('SIGKILL'); });
  let port: number | undefined;
  for (let i = 0; i < 200 && port === undefined; i++) { port = Number(/webhook on 127\.0\.0\.1:(\d+)/.exec(stderr)?.[1]) || undefined; await sleep(50); }
  assert.ok(port, stderr);
  return { serve, port, stderr: () => stderr };
}

test('sluice serve follows Gerrit: a change posted to its webhook is tested, voted on with the error lines, and a passing one submitted', async (t) => {
  const site = await makeSite(tempDir(t));
  const gerrit = await new GerritStandin().start();
  t.after(() => gerrit.stop());
  const env = followGerrit(site.dir, gerrit);
  // Without the password, commands that report refuse to start, naming the variable.
  const noPassword = await runCli(['serve', '--listen', 'off'], { cwd: site.dir, env: { HOOK_SECRET: 'x' } });
  assert.equal(noPassword.status, 2);
  assert.match(noPassword.stderr, /\$GERRIT_PW, which is not set/);

  const { serve, port, stderr } = await startServe(t, site.dir, env);
  try {
    const forward = (e: Record<string, unknown>) => void fetch(`http://127.0.0.1:${port}${WEBHOOK_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-sluice-secret': 'hook-secret' }, body: JSON.stringify(e) });
    gerrit.onEvent(forward);
    const bad = gerrit.upload({ files: { 'updates/badd.yml': { content: updateText('fail on kilo/fedora-22', ['kilo/epel-7', 'kilo/fedora-22']) } }, subject: 'New badd', topic: 'kilo_epel-7_fedora-22' }).change;
    const good = gerrit.upload({ files: { 'updates/good.yml': { content: updateText('fine', ['kilo/epel-7']) } }, subject: 'New good', topic: 'kilo_epel-7' }).change;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !(gerrit.reviewsOf(bad).length > 0 && gerrit.submits.includes(good))) await sleep(100);
    const review = gerrit.reviewsOf(bad)[0];
    assert.ok(review, `no review of the failing change:\n${stderr()}`);
    assert.deepEqual(review.labels, { Verified: -1 });
    assert.match(review.message, /Error: Package: broken on kilo\/fedora-22/);
    assert.ok(gerrit.submits.includes(good), `the passing change was not submitted:\n${stderr()}`);
    assert.deepEqual(gerrit.reviewsOf(good)[0]?.labels, { Verified: 1 });
    assert.ok(!gerrit.submits.includes(bad));
  } finally {
    serve.kill('SIGTERM');
    await new Promise((r) => serve.once('exit', r));
  }
});

test('with upstream:, a ref-updated event from Gerrit makes sluice serve pull the submitted change into its working copy', async (t) => {
  const site = await makeSite(tempDir(t));
  const gerrit = await new GerritStandin().start();
  t.after(() => gerrit.stop());
  const shared = join(site.dir, 'shared.git');
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
  git(site.dir, 'clone', '--quiet', '--bare', site.repoPath, shared);
  rmSync(site.repoPath, { recursive: true });
  const env = followGerrit(site.dir, gerrit, 'upstream: { url: shared.git, push: false }\n');
  const { serve, port, stderr } = await startServe(t, site.dir, env);
  try {
    assert.ok(existsSync(join(site.repoPath, '.git')), 'serve cloned the upstream');
    // Gerrit merges a reviewed change into the shared branch, then says so.
    const gerritSide = join(site.dir, 'gerrit-side');
    git(site.dir, 'clone', '--quiet', shared, gerritSide);
    writeFileSync(join(gerritSide, 'updates', 'gmrg.yml'), updateText('merged by Gerrit', ['kilo/epel-7']));
    git(gerritSide, 'add', 'updates/gmrg.yml');
    git(gerritSide, '-c', 'user.name=Gerrit Code Review', '-c', 'user.email=gerrit@example.org', 'commit', '--quiet', '-m', 'New gmrg');
    git(gerritSide, 'push', '--quiet', 'origin', 'HEAD:master');
    const newRev = git(gerritSide, 'rev-parse', 'HEAD');
    const response = await fetch(`http://127.0.0.1:${port}${WEBHOOK_PATH}`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-sluice-secret': 'hook-secret' },
      body: JSON.stringify({ type: 'ref-updated', eventCreatedOn: Math.floor(Date.now() / 1000), refUpdate: { project: gerrit.project, refName: 'refs/heads/master', oldRev: '0'.repeat(40), newRev } }),
    });
    assert.ok(response.ok, `webhook answered ${response.status}`);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !existsSync(join(site.repoPath, 'updates', 'gmrg.yml'))) await sleep(100);
    assert.ok(existsSync(join(site.repoPath, 'updates', 'gmrg.yml')), `the working copy did not follow the upstream:\n${stderr()}`);
    assert.equal(git(site.repoPath, 'rev-parse', 'HEAD'), newRev, 'a fast-forward, no commit of its own');
  } finally {
    serve.kill('SIGTERM');
    await new Promise((r) => serve.once('exit', r));
  }
});
