import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT } from '../helpers/paths.js';

/** docs/architecture.md is the map of src/: every folder it names exists, and every folder of src/ is on it. */
const page = readFileSync(join(PROJECT_ROOT, 'docs', 'architecture.md'), 'utf8');

function folders(dir: string, rel = 'src'): string[] {
  return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).flatMap((e) => [`${rel}/${e.name}/`, ...folders(join(dir, e.name), `${rel}/${e.name}`)]);
}

test('every folder docs/architecture.md names exists', () => {
  const named = new Set([...page.matchAll(/`(src\/[a-z0-9/_-]+\/)`/g)].map((m) => m[1] as string));
  assert.ok(named.size > 10, 'the page names the folders of src/ as `src/.../`');
  const gone = [...named].filter((f) => !f.includes('<') && !(existsSync(join(PROJECT_ROOT, f)) && statSync(join(PROJECT_ROOT, f)).isDirectory()));
  assert.deepEqual(gone, [], 'named in docs/architecture.md but not in the tree');
});

test('every folder of src/ is on the map', () => {
  const missing = folders(join(PROJECT_ROOT, 'src')).filter((f) => !page.includes(`\`${f}\``));
  assert.deepEqual(missing, [], 'folders of src/ that docs/architecture.md does not name (as `src/.../`)');
});
