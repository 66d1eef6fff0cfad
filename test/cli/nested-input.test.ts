import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { assertEventLoopHeldUnder, NESTED_MIB } from '../helpers/event-loop.js';
import { tempDir } from '../helpers/paths.js';

const OK = 'notes: x\nbuilds:\n  - id: openstack-nova-2015.1.1-1.el7\n    repo: kilo\n    dist: el7\n';

describe('deeply nested YAML through the CLI', () => {
  it('sluice check refuses a 1 MiB nested update file with its position, holding the event loop well under 100 ms', async (t) => {
    const cwd = tempDir(t);
    writeFileSync(join(cwd, 'deep.yml'), `notes: x\nbuilds: ${NESTED_MIB}`);
    writeFileSync(join(cwd, 'ok.yml'), OK);
    // The first command loads its modules: that cost is not the file's.
    assert.equal((await runCli(['check', 'ok.yml'], { cwd })).status, 0);
    const r = await assertEventLoopHeldUnder(100, () => runCli(['check', 'deep.yml'], { cwd }));
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^deep\.yml:2:72: error: collections nest more than 64 levels deep here$/m);
    const json = await runCli(['check', '--json', 'deep.yml'], { cwd });
    assert.match(json.stdout, /"code":\s*"E_YAML_TOO_DEEP"/);
  });

  it('a nested sluice.yaml stops the command with status 2 and the position', async (t) => {
    const cwd = tempDir(t);
    writeFileSync(join(cwd, 'sluice.yaml'), `releases: ${NESTED_MIB}`);
    writeFileSync(join(cwd, 'ok.yml'), OK);
    const r = await runCli(['check', 'ok.yml'], { cwd });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /sluice\.yaml:1:74: error: collections nest more than 64 levels deep here/);
  });
});
