import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isSafeName } from '../../../core/names.js';

const run = promisify(execFile);

/**
 * Images of local nodes: a local node's root is the `node/` directory of its job
 * ($SLUICE_NODE_ROOT), which the provisioning commands fill (e.g. `dnf --installroot`).
 * A green baseline's root is archived as the target's image; a job booted from it starts
 * with that root restored. Nothing in an image knows an address: a local node has none,
 * so any number of jobs restore the same image at once.
 */
export function imagePath(imagesDir: string, name: string): string {
  if (!isSafeName(name)) throw new Error(`refusing image name ${JSON.stringify(name)}`);
  return join(imagesDir, `${name}.tar.gz`);
}

/** Archives a node root as an image, atomically (a crash leaves no half archive under the name). */
export async function snapshotRoot(root: string, imagesDir: string, name: string): Promise<string> {
  const path = imagePath(imagesDir, name);
  mkdirSync(imagesDir, { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await run('tar', ['-czf', tmp, '-C', root, '.'], { maxBuffer: 1 << 20 });
  renameSync(tmp, path);
  return path;
}

/** Restores an image into an empty node root; false when Sluice has no such image (a name from the config only). */
export async function restoreRoot(imagesDir: string, name: string, root: string): Promise<boolean> {
  const path = imagePath(imagesDir, name);
  if (!existsSync(path)) return false;
  mkdirSync(root, { recursive: true });
  await run('tar', ['-xzf', path, '-C', root], { maxBuffer: 1 << 20 });
  return true;
}

export function removeImage(imagesDir: string, name: string): void {
  rmSync(imagePath(imagesDir, name), { force: true });
}
