import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BUILTIN_CHECKS, isBuiltinCheck } from '../../../src/drivers/checks/index.js';
import { PROJECT_ROOT } from '../../helpers/paths.js';

describe('built-in checks', () => {
  it('names installable, upgrade and conflicts, and nothing else', () => {
    assert.deepEqual(Object.keys(BUILTIN_CHECKS).sort(), ['conflicts', 'installable', 'upgrade']);
    assert.ok(isBuiltinCheck('upgrade'));
    assert.ok(!isBuiltinCheck('toString'));
  });

  it('documents every built-in check in docs/checks.md', () => {
    const docs = readFileSync(join(PROJECT_ROOT, 'docs', 'checks.md'), 'utf8');
    for (const name of Object.keys(BUILTIN_CHECKS)) assert.match(docs, new RegExp(`^## \`${name}\``, 'm'), `docs/checks.md lacks ## \`${name}\``);
  });
});
