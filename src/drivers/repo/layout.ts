import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, identityEnv, SLUICE_IDENTITY } from './git.js';

import { UPDATE_REPO_FOLDERS } from '../../core/records/vocabulary.js';

/** The folders of an update repository, as the real RDO one had them (DESIGN.md). */
export { UPDATE_REPO_FOLDERS };

/** Creates an empty update repository: a git repository with the lifecycle folders. */
export async function initUpdateRepo(path: string): Promise<'created' | 'exists'> {
  if (existsSync(join(path, '.git'))) return 'exists';
  mkdirSync(path, { recursive: true });
  await git(path, ['init', '--quiet', '--initial-branch=master']);
  await commitLayout(path);
  return 'created';
}

/** The first commit of an update repository: its folders and a README. */
export async function commitLayout(path: string): Promise<void> {
  for (const folder of UPDATE_REPO_FOLDERS) {
    mkdirSync(join(path, folder), { recursive: true });
    writeFileSync(join(path, folder, '.gitkeep'), '');
  }
  writeFileSync(join(path, 'README.md'), [
    '# Update repository',
    '',
    'Update files (written by `rdopkg update`) move through these folders:',
    '`updates/` (passed phase1) -> `ready/` (passed phase2) -> `pushed/` (in production), or `failed/`.',
    '',
  ].join('\n'));
  await git(path, ['add', '--all']);
  await git(path, ['commit', '--quiet', '-m', 'Initialize update repository'], { env: identityEnv(SLUICE_IDENTITY) });
}
