import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildWebServer } from '../../src/web/server.js';
import { runCli, runCli as runCliIn } from '../helpers/cli.js';
import { forEachStore } from '../helpers/store-matrix.js';
import { tempDir } from '../helpers/paths.js';
import { addUpdate, makePhase2Site, type Phase2Site } from '../helpers/phase2-site.js';
import { requireRpmTools } from '../helpers/rpm.js';
import { namedToken } from '../web/fixture.js';

// The gates before production (docs/promote.md, "Gates before production") end to end: real
// RPMs, git, stage tests and production trees; the CLI in-process, the API over Fastify's inject.

const PACKAGER = 'alice-packager-token-0123456789abcdef';
const RELEASE = 'rita-release-token-0123456789abcdef';

function gated(site: Phase2Site, gates: string): void {
  const file = join(site.dir, 'sluice.yaml');
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, text.replace('promote: { production: published, stage: .sluice/stage }', `promote: { production: published, stage: .sluice/stage, ${gates} }`));
}

const publishedRpms = (site: Phase2Site) => {
  const prod = join(site.dir, 'published', 'kilo', 'epel-7');
  return existsSync(prod) ? readdirSync(realpathSync(prod)).filter((f) => f.endsWith('.rpm')).sort() : [];
};

forEachStore('promote.approval: required: the run waits with nothing published, a wrong set and a packager are refused, the approved set is published', async ({ url, store }, t) => {
  if (!requireRpmTools(t)) return;
  const site = await makePhase2Site(tempDir(t));
  // Every command of the site uses the fixture's store (SQLite or PostgreSQL).
  const env = { SLUICE_STORE: url };
  const runCli = (args: string[], o: { cwd: string; now?: number }) => runCliIn(args, { ...o, env });
  gated(site, 'approval: required');
  for (const id of ['aaaa', 'bbbb']) await addUpdate(site, id);
  const p2 = await runCli(['phase2'], { cwd: site.dir });
  assert.equal(p2.status, 0, p2.stdout + p2.stderr);

  const pr = await runCli(['promote'], { cwd: site.dir });
  assert.equal(pr.status, 0, pr.stdout + pr.stderr);
  const m = /promote (\S+) waits for approval of set ([0-9a-f]{12}) \(2 updates: aaaa, bbbb\) by a release manager: sluice approve \1\n/.exec(pr.stdout);
  assert.ok(m, pr.stdout);
  const [, runId = '', shown = ''] = m;
  // Stage was composed and tested; production was not touched, ready/ still holds both.
  assert.deepEqual(publishedRpms(site), []);
  assert.ok(existsSync(join(site.repoPath, 'ready', 'aaaa.yml')) && existsSync(join(site.repoPath, 'ready', 'bbbb.yml')));

  // status (the list and the run) and explain say what it waits for and how to end the wait.
  const list = await runCli(['status'], { cwd: site.dir });
  assert.match(list.stdout, new RegExp(`${runId} .* promote .* running +waits for approval of set ${shown} \\(2 updates: aaaa, bbbb\\) by a release manager: sluice approve ${runId}`));
  const one = await runCli(['status', runId], { cwd: site.dir });
  assert.match(one.stdout, new RegExp(`run ${runId} \\(promote of 2 updates\\): running - waits for approval of set ${shown}`));
  const ex = await runCli(['explain', runId], { cwd: site.dir });
  assert.match(ex.stdout, new RegExp(`no verdict yet: running - waits for approval of set ${shown} .*sluice approve ${runId}`));

  // `sluice promote` again follows the waiting run rather than start another, and says it waits.
  const again = await runCli(['promote'], { cwd: site.dir });
  assert.equal(again.status, 0, again.stdout + again.stderr);
  assert.match(again.stderr, new RegExp(`promote ${runId} is still going: following it`));
  assert.match(again.stdout, new RegExp(`promote ${runId} waits for approval of set ${shown}`));
  assert.deepEqual(publishedRpms(site), []);

  // The API: a packager's token is refused; a release manager naming another set is refused, naming both.
  const server = await buildWebServer({
    store, site: { config: site.config, hash: 'test', resolvePath: (p) => join(site.dir, p) }, now: () => Date.now(), logger: false,
    auth: { tokens: [namedToken('alice', ['packager'], PACKAGER), namedToken('rita', ['release'], RELEASE)], publicReads: true },
  });
  t.after(() => server.app.close());
  const post = (token: string, set: string) => server.app.inject({ method: 'POST', url: `/api/runs/${runId}/approve`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: JSON.stringify({ set }) });
  const byPackager = await post(PACKAGER, shown);
  assert.equal(byPackager.statusCode, 403);
  assert.match(byPackager.body, /"code":"E_ROLE_REQUIRED".*approving a promote needs the release role; token of alice has packager/);
  const wrong = await post(RELEASE, 'abcdef012345');
  assert.equal(wrong.statusCode, 409);
  assert.match(wrong.body, new RegExp(`"code":"E_APPROVAL_SET_MISMATCH".*names set abcdef012345, but promote ${runId} publishes set ${shown} \\(2 updates: aaaa \\(sha256 [0-9a-f]{12}\\), bbbb`));
  assert.deepEqual(await store.listApprovals(runId), [], 'a refused approval is not recorded');
  // The CLI refuses a wrong set likewise, with its code.
  const cliWrong = await runCli(['approve', runId, '--set', '000000'], { cwd: site.dir });
  assert.equal(cliWrong.status, 1);
  assert.match(cliWrong.stderr, /E_APPROVAL_SET_MISMATCH|names set 000000, but promote/);

  // The release manager approves the set shown (the API), recorded with who and which set.
  const ok = await post(RELEASE, shown);
  assert.equal(ok.statusCode, 200, ok.body);
  const [approval] = await store.listApprovals(runId);
  assert.equal(approval?.by, 'rita');
  assert.equal(approval?.via, 'api');
  assert.deepEqual(approval?.updates.map((u) => u.id), ['aaaa', 'bbbb']);
  assert.ok(approval?.setHash.startsWith(shown));

  // `sluice approve` finds it approved already, and publishes exactly that set.
  const ap = await runCli(['approve', runId, '--set', shown], { cwd: site.dir });
  assert.equal(ap.status, 0, ap.stdout + ap.stderr);
  assert.match(ap.stdout, new RegExp(`set ${shown} of promote ${runId} was approved already, by rita at .*: 2 updates: aaaa \\(sha256 [0-9a-f]{12}\\), bbbb`));
  assert.match(ap.stdout, /PASS - published aaaa, bbbb to kilo\/epel-7/);
  assert.deepEqual(publishedRpms(site), ['python-aaaa-1.0-1.el7.noarch.rpm', 'python-bbbb-1.0-1.el7.noarch.rpm']);
  assert.ok(existsSync(join(site.repoPath, 'pushed', 'aaaa.yml')) && existsSync(join(site.repoPath, 'pushed', 'bbbb.yml')));
  const explained = await runCli(['explain', runId], { cwd: site.dir });
  assert.match(explained.stdout, new RegExp(`set ${shown} approved by rita \\(api\\): aaaa, bbbb`));
}, { timeoutMs: 240_000 });

test('promote.min_soak: a young update stays in ready/ with its reason, the old one is published; once old enough it goes too', async (t) => {
  if (!requireRpmTools(t)) return;
  const site = await makePhase2Site(tempDir(t));
  gated(site, 'min_soak: 1d');
  const DAY = 86_400_000;
  const start = Date.now();
  // aaaa went to ready/ two days ago (the commit's date is what counts), bbbb now.
  await addUpdate(site, 'aaaa');
  process.env.GIT_COMMITTER_DATE = `@${Math.floor((start - 2 * DAY) / 1000)} +0000`;
  try {
    const p2 = await runCli(['phase2'], { cwd: site.dir });
    assert.equal(p2.status, 0, p2.stdout + p2.stderr);
  } finally {
    delete process.env.GIT_COMMITTER_DATE;
  }
  await addUpdate(site, 'bbbb');
  const p2b = await runCli(['phase2'], { cwd: site.dir });
  assert.equal(p2b.status, 0, p2b.stdout + p2b.stderr);

  const dry = await runCli(['promote', '--dry-run'], { cwd: site.dir });
  assert.match(dry.stdout, /would leave in ready\/ bbbb: in ready\/ for \d+s of promote\.min_soak 1d, eligible at \d{4}-\d\d-\d\dT\d\d:\d\dZ/);
  assert.match(dry.stdout, /would push aaaa:/);

  const pr = await runCli(['promote'], { cwd: site.dir });
  assert.equal(pr.status, 0, pr.stdout + pr.stderr);
  assert.match(pr.stdout, /left in ready\/ to soak: bbbb: in ready\/ for \d+s of promote\.min_soak 1d, eligible at /);
  assert.deepEqual(publishedRpms(site), ['python-aaaa-1.0-1.el7.noarch.rpm']);
  assert.ok(existsSync(join(site.repoPath, 'ready', 'bbbb.yml')), 'the young update waits in ready/');
  const runId = /promote (\S+): aaaa\n/.exec(pr.stderr)?.[1] ?? '';
  assert.ok(runId, pr.stderr);
  const list = await runCli(['status'], { cwd: site.dir });
  assert.match(list.stdout, /held in ready\/ by promote\.min_soak: bbbb: in ready\/ for \d+s of promote\.min_soak 1d, eligible at /);
  assert.doesNotMatch(list.stdout, /promote\.min_soak: aaaa/);
  const one = await runCli(['status', runId], { cwd: site.dir });
  assert.match(one.stdout, /left in ready\/ to soak: bbbb: in ready\/ for/);
  const ex = await runCli(['explain', runId], { cwd: site.dir });
  assert.match(ex.stdout, /left in ready\/ to soak: bbbb: in ready\/ for \d+s of promote\.min_soak 1d, eligible at /);

  // Twelve hours on (the command's clock): still young, so nothing starts, and it says why.
  const half = await runCli(['promote'], { cwd: site.dir, now: start + DAY / 2 });
  assert.equal(half.status, 0, half.stdout + half.stderr);
  assert.match(half.stdout, /nothing to promote: nothing in ready\/ has soaked long enough: bbbb: in ready\/ for (11h5\dm|12h) of promote\.min_soak 1d/);
  // A day and a minute on: it has soaked, and is published.
  const later = await runCli(['promote'], { cwd: site.dir, now: start + DAY + 60_000 });
  assert.equal(later.status, 0, later.stdout + later.stderr);
  assert.deepEqual(publishedRpms(site), ['python-aaaa-1.0-1.el7.noarch.rpm', 'python-bbbb-1.0-1.el7.noarch.rpm']);
  assert.ok(existsSync(join(site.repoPath, 'pushed', 'bbbb.yml')));
});
