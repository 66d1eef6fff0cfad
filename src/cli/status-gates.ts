import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readyFiles, soakGate } from '../pipelines/promote/gates.js';
import type { LoadedConfig } from './config-loader.js';

/**
 * `sluice status`'s lines for updates of ready/ that promote.min_soak still holds back
 * (docs/promote.md, "Gates before production"), read from the working copy as it is (no
 * pull: status never writes). Nothing when the gate is off or the repository is not there.
 */
export async function soakStatusLines(loaded: LoadedConfig, now: number): Promise<string> {
  if (loaded.config.promote.min_soak === undefined) return '';
  const repoPath = loaded.resolvePath(loaded.config.update_repo);
  if (!existsSync(join(repoPath, '.git'))) return '';
  const ready = await readyFiles(repoPath).catch(() => []);
  return soakGate(loaded.config, ready, now).soaking.map((h) => `held in ready/ by promote.min_soak: ${h.why}\n`).join('');
}
