import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { buildProgram, COMMANDS } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/io.js';

const io: Io = { cwd: process.cwd(), env: {}, stdoutIsTTY: false, out: () => {}, err: () => {}, readStdin: () => new Uint8Array(), now: () => Date.now() };

test('each command of the lazy registry is the one its module registers, and only it is loaded', async () => {
  for (const name of Object.keys(COMMANDS)) {
    const program = await buildProgram(io, () => {}, [name, '--help']);
    assert.deepEqual(program.commands.map((c) => c.name()), [name]);
  }
  const all = await buildProgram(io, () => {}, ['help']);
  assert.deepEqual(all.commands.map((c) => c.name()).sort(), Object.keys(COMMANDS).sort());
});

test('sluice status loads neither the web server nor PostgreSQL\'s client', () => {
  const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
  const script = `
    import { createRequire } from 'node:module';
    const { main } = await import(${JSON.stringify(main)});
    await main(['status', '--help'], { cwd: process.cwd(), env: {}, stdoutIsTTY: false, out: () => {}, err: () => {}, readStdin: () => new Uint8Array(), now: () => Date.now() });
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    console.log(JSON.stringify(['fastify', 'pg'].filter((m) => loaded.some((f) => f.includes('/node_modules/' + m + '/')))));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').at(-1) ?? ''), []);
});
