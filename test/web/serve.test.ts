import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PROJECT_ROOT, tempDir } from '../helpers/paths.js';
import { runBin } from '../helpers/cli.js';

function serve(cwd: string, args: string[]): { child: ChildProcess; stderr: () => string; url: Promise<string>; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'sluice.js'), 'serve', ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SLUICE_WEB_TOKENS: '' } });
  let err = '';
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      const m = /dashboard and API on (http:\/\/\S+?)\//.exec(err);
      if (m?.[1]) resolve(m[1]);
    });
    void exit.then(() => reject(new Error(`serve exited: ${err}`)));
  });
  url.catch(() => undefined);
  return { child, stderr: () => err, url, exit };
}

describe('sluice serve', () => {
  it('after sluice demo answers the front page, /metrics and the OpenAPI document, and stops on SIGTERM', async (t) => {
    const dir = tempDir(t);
    const demo = runBin(['demo', '--dir', dir], { cwd: dir });
    assert.equal(demo.status, 0, demo.stdout + demo.stderr);
    const s = serve(dir, ['--listen', '127.0.0.1:0']);
    t.after(() => { if (s.child.exitCode === null) s.child.kill('SIGKILL'); });
    const url = await s.url;

    const front = await fetch(`${url}/`);
    assert.equal(front.status, 200);
    const page = await front.text();
    assert.match(page, /<table class="matrix">/);
    assert.match(page, /data-target="kilo\/fedora-22" data-status="failure"/);
    assert.match(page, /data-target="liberty\/fedora-22" data-status="disabled"><span class="cell-state">⊘ disabled<\/span><span class="why">Fedora 22 Liberty repo not composed yet<\/span>/);
    assert.match(page, /data-target="liberty\/epel-7" data-status="success"/);
    assert.match(front.headers.get('content-security-policy') ?? '', /default-src 'none'/);

    const metrics = await fetch(`${url}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await metrics.text();
    assert.match(text, /^sluice_targets_disabled 1$/m);
    assert.match(text, /^sluice_node_capacity\{provider="local"\} 3$/m);

    const doc = await (await fetch(`${url}/api/openapi.json`)).json() as { openapi: string; paths: Record<string, Record<string, { security?: unknown }>> };
    assert.equal(doc.openapi, '3.1.0');
    assert.ok(doc.paths['/api/runs']?.post?.security, 'submitting needs a token');
    const refused = await fetch(`${url}/api/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'E_ACTIONS_DISABLED');
    assert.match(s.stderr(), /no API token: actions are refused/);
    assert.match(s.stderr(), /^\{"level":30,.*"service":"sluice-web"/m, 'structured logs (pino)');

    s.child.kill('SIGTERM');
    assert.equal(await s.exit, 0);
  });

  it('stops with E_WEB_LISTEN when the address it was told cannot be bound, and refuses a malformed one', async (t) => {
    const dir = tempDir(t);
    assert.equal(runBin(['init'], { cwd: dir }).status, 0);
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    t.after(() => taken.close());
    const port = (taken.address() as { port: number }).port;
    const s = serve(dir, ['--listen', `127.0.0.1:${port}`]);
    assert.equal(await s.exit, 3);
    assert.match(s.stderr(), /sluice: cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
    const bad = runBin(['serve', '--listen', 'localhost'], { cwd: dir });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--listen "localhost" is not HOST:PORT/);
  });
});
