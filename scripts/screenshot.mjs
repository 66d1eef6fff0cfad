/* global console, process */
// Remakes docs/images/front-page.png: `sluice demo` in a temporary directory, `sluice serve`
// on it, and Debian's chromium (driven by playwright-core) photographing the front page.
// Run with `npm run screenshot` (it builds first); needs chromium (scripts/test.sh installs it).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'docs', 'images', 'front-page.png');
const browserPath = process.env.SLUICE_CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(browserPath)) {
  console.error(`no chromium at ${browserPath}: install Debian's chromium (or set SLUICE_CHROMIUM)`);
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'sluice-screenshot-'));
const sluice = join(root, 'bin', 'sluice.js');
const demo = spawnSync(process.execPath, [sluice, 'demo', '--dir', dir], { encoding: 'utf8' });
if (demo.status !== 0) {
  console.error(demo.stdout, demo.stderr);
  process.exit(1);
}

const serve = spawn(process.execPath, [sluice, 'serve', '--listen', '127.0.0.1:0'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
const url = await new Promise((ok, fail) => {
  let err = '';
  serve.stderr.on('data', (chunk) => {
    err += chunk;
    const m = /dashboard and API on (http:\/\/\S+?)\//.exec(err);
    if (m) ok(m[1]);
  });
  serve.once('exit', () => fail(new Error(`sluice serve stopped:\n${err}`)));
});

try {
  const browser = await chromium.launch({ executablePath: browserPath, args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 980 }, deviceScaleFactor: 1 });
  await page.goto(`${url}/`, { waitUntil: 'networkidle' });
  await page.screenshot({ path: out, fullPage: false });
  await browser.close();
  console.log(`wrote ${out} (the front page after \`sluice demo\`, served by \`sluice serve\`)`);
} finally {
  serve.kill('SIGTERM');
  await new Promise((ok) => serve.once('exit', ok));
  rmSync(dir, { recursive: true, force: true });
}
