import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT, tempDir } from '../helpers/paths.js';

const page = readFileSync(join(PROJECT_ROOT, 'docs', 'operations.md'), 'utf8');
const unit = /```ini\n([\s\S]*?)```/.exec(page)?.[1];

test('docs/operations.md\'s systemd unit passes systemd-analyze verify, with this clone in place of /opt/sluice', (t) => {
  assert.ok(unit, 'docs/operations.md shows a unit in an ```ini block');
  if (spawnSync('systemd-analyze', ['--version']).status !== 0) { t.skip('systemd-analyze is not installed (Debian package systemd)'); return; }
  const file = join(tempDir(t), 'sluice.service');
  writeFileSync(file, unit.replaceAll('/opt/sluice', PROJECT_ROOT));
  const verified = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
  // Only what concerns the unit itself: verify also reports on the host's other units.
  const about = `${verified.stdout}${verified.stderr}`.split('\n').filter((l) => l.includes('sluice.service'));
  assert.deepEqual(about, [], 'systemd finds nothing wrong with the unit');
});

test('the unit\'s ExecStart is a command sluice serve accepts', () => {
  const exec = /^ExecStart=\/opt\/sluice\/bin\/sluice (.*)$/m.exec(unit ?? '')?.[1];
  assert.ok(exec, 'ExecStart runs this clone\'s bin/sluice');
  const args = exec.split(/\s+/);
  const help = spawnSync(join(PROJECT_ROOT, 'bin', 'sluice'), [...args, '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0, help.stderr);
  for (const flag of args.filter((a) => a.startsWith('--'))) assert.ok(help.stdout.includes(flag), `serve knows ${flag}`);
});
