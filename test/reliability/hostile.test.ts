import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'node:test';
import { stringify } from 'yaml';
import type { Store } from '../../src/store/index.js';
import { runBin } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { forEachStore } from '../helpers/store-matrix.js';
import { TOKEN, until, webEngine, webServer, webSite } from '../web/fixture.js';
import { assertDocumentedAnswer, HttpClient } from './http-client.js';
import { outside, snapshotTree, treeChanges } from './tree-snapshot.js';

/**
 * Issue 10, suite 5: hostile values in every field of an update file and of the API that
 * reaches a command, an environment variable, a file name or a page. Names that reach
 * paths and commands are refused at the edge with an error naming the field; free text is
 * accepted and arrives verbatim (the job's own script copies what it was given); pages
 * escape it; nothing the values say is executed, and nothing is written outside the
 * site's own directories.
 */

/** `canary` is a directory the payloads aim at: a file appearing there means one ran. */
function hostileValues(canary: string): readonly (readonly [string, string])[] {
  return [
    ['command substitution', `$(touch ${canary}/PWNED-subst)`],
    ['backticks', `\`touch ${canary}/PWNED-backtick\``],
    ['command separator', `x; touch ${canary}/PWNED-semicolon; rm -rf ${canary}/keep`],
    ['pipe and redirect', `x | tee ${canary}/PWNED-pipe > ${canary}/PWNED-redirect`],
    ['single quotes', `it's '$(touch ${canary}/PWNED-squote)'`],
    ['double quotes', `say "$(touch ${canary}/PWNED-dquote)"`],
    ['newlines', `first\ntouch ${canary}/PWNED-newline\nlast`],
    ['parent directories', '../../../../../../tmp/sluice-hostile-escape'],
    ['absolute path', `${canary}/PWNED-absolute`],
    ['NUL', 'before\u0000after'],
    ['bidi override', 'invoice\u202etxt.exe'],
    ['script tag', '<script>alert(1)</script>'],
    ['img onerror', '<img src=x onerror=alert(1)>'],
  ];
}

/** File names a shell user could really make (no "/", no NUL). */
const HOSTILE_FILE_NAMES = ['$(touch PWNED-file)', '`touch PWNED-file`', 'x; touch PWNED-file', "it's", 'say "hi"', 'a\nb', 'invoice\u202etxt', '<img src=x onerror=alert(1)>', '-rf', '..'];

/** The job's test: it records what it was given, byte for byte, and evaluates nothing. */
const RECORDING_TEST = `#!/bin/sh
set -eu
out="$SLUICE_WORKDIR/seen"
mkdir -p "$out"
cp "$SLUICE_UPDATE_FILE" "$out/update.yml"
printf '%s' "$SLUICE_UPDATE" > "$out/SLUICE_UPDATE"
printf '%s' "$SLUICE_BUILDS" > "$out/SLUICE_BUILDS"
printf '%s' "$SLUICE_TARGET" > "$out/SLUICE_TARGET"
echo "tested $SLUICE_UPDATE on $SLUICE_TARGET"
`;

const BUILD = { id: 'openstack-nova-2015.1.2-1.el7', repo: 'kilo', dist: 'epel-7' };
const RESTRICTED_FIELDS = ['id', 'repo', 'dist', 'source', 'tag', 'arch'] as const;
const AUTHOR = { name: 'Packager', email: 'packager@example.org' };

/** Git trims "crud" (blanks and . , : ; < > " \\ ') from both ends of an author's name; the rest it keeps. */
function gitTrimmed(name: string): string {
  return name.replace(/^[\s.,:;<>"\\']+|[\s.,:;<>"\\']+$/g, '');
}

function gitShow(repo: string, rev: string): Buffer {
  return execFileSync('git', ['-C', repo, 'show', rev], { maxBuffer: 16 * 1024 * 1024 });
}

async function finishedJobDir(store: Store, runId: string): Promise<string> {
  const [job] = await store.listJobs(runId);
  const node = job?.node ?? '';
  assert.ok(node.startsWith('local:'), `run ${runId} ran on a local node: ${JSON.stringify(job)}`);
  return node.slice('local:'.length);
}

describe('hostile input', () => {
  forEachStore('shell metacharacters, ../, NUL, bidi and HTML in every field: refused naming the field or passed on verbatim, never run, never written outside, always escaped', async ({ store }, t) => {
    const parent = tempDir(t, 'sluice-hostile-');
    const canary = join(parent, 'canary');
    mkdirSync(canary);
    writeFileSync(join(canary, 'keep'), 'the payloads try to remove this\n');
    const f = await webSite(join(parent, 'site'));
    writeFileSync(join(f.site.dir, 'tests', 'smoke.sh'), RECORDING_TEST);
    const before = snapshotTree(parent);
    const hostile = hostileValues(canary);

    const engine = webEngine(f, store);
    const { app } = await webServer(t, store, f, { engine });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const http = new HttpClient('127.0.0.1', (app.server.address() as AddressInfo).port);
    t.after(() => http.close());
    const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const post = async (path: string, body: unknown) => {
      const a = await http.send({ method: 'POST', path, headers: auth, body: JSON.stringify(body) });
      assertDocumentedAnswer(a, `POST ${path}`);
      return a;
    };

    // Names that reach paths, commands and environments are refused, naming the field.
    let refused = 0;
    for (const [what, value] of hostile) {
      const asFile = await post('/api/runs', { file: `${value}.yml`, content: stringify({ notes: 'x', builds: [BUILD] }), author: AUTHOR });
      assert.equal(asFile.status, 400, `${what} as the file name: ${asFile.body}`);
      assert.match(asFile.body, /body\.file/);
      for (const field of RESTRICTED_FIELDS) {
        const a = await post('/api/runs', { file: 'hostile.yml', content: stringify({ notes: 'x', builds: [{ ...BUILD, [field]: value }] }), author: AUTHOR });
        assert.ok(a.status === 422 || a.status === 400, `${what} as builds[0].${field}: ${a.status} ${a.body}`);
        assert.ok(a.body.includes(`builds[0].${field}`), `${what} as builds[0].${field}: the error names the field: ${a.body}`);
        refused++;
      }
      const group = await post('/api/runs', { file: 'hostile.yml', content: stringify({ notes: 'x', builds: [BUILD], group: value }), author: AUTHOR });
      assert.ok(group.status >= 400 && group.body.includes('group'), `${what} as group: ${group.body}`);
      refused += 2;
    }
    for (const [what, value] of hostile) {
      const a = await post(`/api/targets/${encodeURIComponent(value)}/epel-7/disable`, { reason: 'x' });
      assert.ok(a.status === 400 || a.status === 404, `${what} as a release in the path: ${a.body}`);
      if (a.status === 400) assert.match(a.body, /"path(\.release)?"/);
    }
    assert.deepEqual(await store.listRuns(), [], 'nothing refused was written');

    // Free text (notes, the author's name) is accepted and tested.
    const accepted: { id: string; runId: string; content: string; what: string; author: typeof AUTHOR }[] = [];
    for (const [i, [what, value]] of hostile.entries()) {
      for (const [field, content, author] of [
        ['notes', stringify({ notes: value, builds: [BUILD] }), AUTHOR],
        ['author', stringify({ notes: `author ${what}`, builds: [BUILD] }), { name: value, email: 'packager@example.org' }],
      ] as const) {
        const id = `${field}${i}`;
        const a = await post('/api/runs', { file: `${id}.yml`, content, author });
        if (a.status === 201) accepted.push({ id, runId: (JSON.parse(a.body) as { runId: string }).runId, content, what: `${what} in ${field}`, author });
        else assert.match(a.body, new RegExp(field === 'author' ? 'body\\.author\\.name' : 'notes'), `${what} in ${field} is refused naming the field: ${a.body}`);
      }
    }
    t.diagnostic(`${refused} hostile names refused; ${accepted.length} of ${hostile.length * 2} free-text values accepted`);
    engine.start();
    t.after(() => engine.stop());
    await until(async () => (await store.listRuns({ unfinished: true })).length === 0, 120_000, 'the runs to finish');
    await until(async () => (await store.listUnreportedRuns()).length === 0, 60_000, 'every passing update to be merged');

    for (const u of accepted) {
      const run = await store.getRun(u.runId);
      assert.equal(run?.verdict, 'pass', `${u.what}: ${JSON.stringify(run)}`);
      const seen = join(await finishedJobDir(store, u.runId), 'seen');
      assert.deepEqual(readFileSync(join(seen, 'update.yml')), Buffer.from(u.content), `${u.what}: the job got the file byte for byte`);
      assert.equal(readFileSync(join(seen, 'SLUICE_UPDATE'), 'utf8'), u.id);
      assert.equal(readFileSync(join(seen, 'SLUICE_BUILDS'), 'utf8'), BUILD.id);
      assert.deepEqual(gitShow(f.site.repoPath, `HEAD:updates/${u.id}.yml`), Buffer.from(u.content), `${u.what}: merged as submitted`);
      const authorLine = execFileSync('git', ['-C', f.site.repoPath, 'log', '-1', '--format=%an <%ae>', '--', `updates/${u.id}.yml`], { encoding: 'utf8' }).trim();
      assert.equal(authorLine, `${gitTrimmed(u.author.name)} <${u.author.email}>`, `${u.what}: the merge's author is verbatim (but for git's own trim)`);
    }

    // Reasons and names given to actions are stored and reach pages: each is taken or refused naming the field.
    for (const [what, value] of hostile) {
      const a = await post('/api/targets/kilo/fedora-22/disable', { reason: value, by: value });
      if (a.status === 200) assert.equal((await post('/api/targets/kilo/fedora-22/enable', { by: value })).status, 200);
      else assert.match(a.body, /body\.(reason|by)/, `${what} as a disable reason: ${a.body}`);
    }
    const [what0, reason] = hostile[11] as readonly [string, string];
    const disabled = await post('/api/targets/liberty/epel-7/disable', { reason, by: (hostile[12] as readonly [string, string])[1] });
    assert.equal(disabled.status, 200, `${what0} as a disable reason: ${disabled.body}`);
    const held = await post('/api/runs', { file: 'held.yml', content: stringify({ notes: 'held', builds: [{ ...BUILD, repo: 'liberty' }] }), author: AUTHOR });
    assert.equal(held.status, 201, held.body);
    const heldRun = (JSON.parse(held.body) as { runId: string }).runId;

    const pages = ['/', '/runs', `/runs/${heldRun}`, ...accepted.flatMap((u) => [`/runs/${u.runId}`, `/updates/${u.id}`])];
    for (const u of accepted.slice(0, 4)) {
      const [job] = await store.listJobs(u.runId);
      if (job) pages.push(`/jobs/${job.id}/log`);
    }
    for (const path of pages) {
      const a = await http.send({ path, headers: { accept: 'text/html' } });
      assert.equal(a.status, 200, `${path}: ${a.body.slice(0, 300)}`);
      assert.doesNotMatch(a.body, /<script>alert|<img src=x onerror/i, `${path} shows hostile HTML unescaped`);
    }
    const scriptNotes = accepted.find((u) => u.what === 'script tag in notes');
    assert.ok(scriptNotes, 'HTML in notes is accepted');
    assert.ok((await http.send({ path: `/updates/${scriptNotes.id}` })).body.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'and shown escaped');
    assert.ok((await http.send({ path: '/' })).body.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'the disable reason is shown escaped');

    // Nothing ran, nothing was written outside the site's own places.
    assert.deepEqual(readdirSync(canary), ['keep'], 'no payload ran: the canary directory is as it was');
    assert.equal(existsSync(join(tmpdir(), 'sluice-hostile-escape')), false);
    const changes = treeChanges(before, snapshotTree(parent));
    assert.deepEqual(outside(changes, [join('site', '.sluice'), join('site', 'update-repo')]), [], 'written only under the work directory and the update repository');
    t.diagnostic(`${changes.length} files written, all under site/.sluice and site/update-repo`);
  }, { timeoutMs: 240_000 });

  forEachStore('hostile file names and --author on the command line: refused or passed on verbatim, never run', async ({ url }, t) => {
    const parent = tempDir(t, 'sluice-hostile-cli-');
    const f = await webSite(join(parent, 'site'), { store: url.startsWith('sqlite:') ? 'sqlite:.sluice/sluice.db' : url });
    const content = stringify({ notes: 'x', builds: [BUILD] });
    for (const name of HOSTILE_FILE_NAMES) writeFileSync(join(f.site.dir, `${name}.yml`), content);
    writeFileSync(join(f.site.dir, 'good.yml'), content);
    // Every field that names something, in files checked by one process: each refusal names its field and line.
    const fieldFiles: { file: string; field: string }[] = [];
    for (const [i, value] of HOSTILE_FILE_NAMES.entries()) {
      for (const field of RESTRICTED_FIELDS) {
        const file = `f${i}-${field}.yml`;
        writeFileSync(join(f.site.dir, file), stringify({ notes: 'x', builds: [{ ...BUILD, [field]: value }] }));
        fieldFiles.push({ file, field });
      }
    }
    const before = snapshotTree(parent);
    const check = runBin(['check', '--json', '--', ...HOSTILE_FILE_NAMES.map((n) => `${n}.yml`)], { cwd: f.site.dir });
    assert.ok(check.status === 0 || check.status === 1, check.stderr);
    const report = JSON.parse(check.stdout) as { files: { file: string; id?: string }[] };
    assert.deepEqual(report.files.map((r) => r.file), HOSTILE_FILE_NAMES.map((n) => `${n}.yml`), 'each file reported under its own name, verbatim');
    assert.ok(report.files.every((r) => r.id === undefined), 'no hostile name becomes an update id');
    assert.equal(check.status, 1, 'check refuses every such name, as submit does');
    assert.ok(report.files.every((r) => (r as { valid?: boolean }).valid === false), 'each hostile name is refused');

    const fields = runBin(['check', '--json', ...fieldFiles.map((x) => x.file)], { cwd: f.site.dir });
    assert.equal(fields.status, 1, fields.stderr);
    const fieldReport = JSON.parse(fields.stdout) as { files: { file: string; valid: boolean; problems: { path: string; line: number }[] }[] };
    for (const [i, r] of fieldReport.files.entries()) {
      const { field } = fieldFiles[i] as { field: string };
      assert.ok(!r.valid && r.problems.some((p) => p.path === `builds[0].${field}` && p.line >= 2), `${r.file}: ${JSON.stringify(r.problems)}`);
    }
    const topic = runBin(['check', '--topic', '$(touch PWNED-file)', 'good.yml'], { cwd: f.site.dir });
    assert.equal(topic.status, 1, topic.stderr);
    assert.ok(topic.stdout.includes('topic "$(touch PWNED-file)" does not match'), `the topic is quoted verbatim: ${topic.stdout}`);

    for (const name of HOSTILE_FILE_NAMES.slice(0, 3)) {
      const r = runBin(['submit', '--detach', '--', `${name}.yml`], { cwd: f.site.dir });
      assert.equal(r.status, 1, `${name}: ${r.stdout}${r.stderr}`);
      assert.ok(r.stdout.startsWith(`${name}.yml:1:1: `) && r.stdout.includes('<id>.yml'), `the refusal names the file and what an update file is called: ${r.stdout}`);
    }
    const author = '$(touch PWNED-author) `id` "x" \'y\' <pwned@example.org>';
    const submitted = runBin(['submit', '--detach', '--author', author, 'good.yml'], { cwd: f.site.dir });
    assert.equal(submitted.status, 0, submitted.stderr);
    const who = runBin(['status', '--json', submitted.stdout.trim()], { cwd: f.site.dir });
    assert.equal(who.status, 0, who.stderr);
    assert.ok(who.stdout.includes(JSON.stringify('$(touch PWNED-author) `id` "x" \'y\'').slice(1, -1)), `the author is recorded verbatim: ${who.stdout.slice(0, 400)}`);
    for (const bad of ['a\nb <x@example.org>', '<script> <x@example.org>', 'nobody']) {
      const r = runBin(['submit', '--detach', '--author', bad, 'good.yml'], { cwd: f.site.dir });
      assert.equal(r.status, 2, `--author ${JSON.stringify(bad)}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /--author/);
    }
    const status = runBin(['status', '$(touch PWNED-status)'], { cwd: f.site.dir });
    assert.ok(status.status === 1 || status.status === 2, status.stderr);

    const found = [...snapshotTree(parent).keys()].filter((p) => /(^|\/)PWNED-(file|author|status)$/.test(p));
    assert.deepEqual(found, [], 'no payload ran');
    const changes = treeChanges(before, snapshotTree(parent));
    assert.deepEqual(outside(changes, [join('site', '.sluice')]), [], 'the commands wrote only under .sluice');
    t.diagnostic(`${HOSTILE_FILE_NAMES.length} hostile file names and ${fieldFiles.length} hostile fields checked by the executable`);
  }, { timeoutMs: 180_000 });
});
