import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runBin } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

describe('sluice demo', () => {
  it('sets up a site, shows the red target with its reason and the broken file\'s errors', (t) => {
    const dir = tempDir(t);
    const r = runBin(['demo', '--dir', dir], { cwd: dir });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /kilo\/fedora-22\s+disabled\s+Fedora 22 mirror out of sync \(by /);
    assert.match(r.stdout, /^submitted\/updates\/x0rz.yml:7:9: error: builds\[1\].id: id must be an NVR/m);
    assert.match(r.stdout, /^submitted\/updates\/nv4a.yml:13:11: warning: .*target kilo\/fedora-22 is disabled/m);
    assert.doesNotMatch(r.stdout, /pk7q.yml:\d+:\d+: error/);
    assert.ok(existsSync(join(dir, '.sluice', 'sluice.db')));
    assert.ok(existsSync(join(dir, 'update-repo', '.git')));
  });
});
