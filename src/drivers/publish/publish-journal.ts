import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { MirrorPlan } from './mirrors.js';

/**
 * What a publication is doing, so that a crash at any moment has one right repair. It is
 * written (durably) in phase `copy` before the first new tree is started: a crash then is
 * repaired by deleting the new trees, production never having changed. It is rewritten in
 * phase `swap` once every new tree is complete and synced: that rename is the commit point,
 * and from then on the repair is to finish pointing the links at the new trees. It is
 * removed when every link points at its new tree. A swap that failed midway rewrites it in
 * phase `undo` before putting links back: a crash then still ends on the old trees.
 */
export const JOURNAL_NAME = '.sluice-publish.json';

export interface JournalEntry {
  readonly target: string;
  /** Tree paths relative to the production root; null: the target had no repository. */
  readonly old: string | null;
  readonly new: string | null;
}

export interface Journal {
  readonly version: 1;
  /** `switch`: `sluice rollback` pointing production at a tree it kept (nothing is deleted). */
  readonly action: 'publish' | 'migrate' | 'rollback' | 'switch';
  readonly phase: 'copy' | 'swap' | 'undo';
  readonly runId: string;
  readonly entries: readonly JournalEntry[];
  /** Each remote mirror's part (docs/promote.md, "Remote mirrors"): repaired with the local links. */
  readonly mirrors?: readonly MirrorPlan[];
}

export function journalPath(root: string): string {
  return join(resolve(root), JOURNAL_NAME);
}

/** fsync of a directory: makes a rename or unlink inside it survive a power cut, not only a crash. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function writeJournal(root: string, journal: Journal): Promise<void> {
  const path = journalPath(root);
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  const fh = await open(tmp, 'wx');
  try {
    await fh.writeFile(`${JSON.stringify(journal, null, 2)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  await syncDir(resolve(root));
}

/** The journal left by a publication that did not finish, if any. */
export async function readJournal(root: string): Promise<Journal | null> {
  let text: string;
  try {
    text = await readFile(journalPath(root), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  // Written whole by a rename, so it cannot be torn: anything unreadable was edited by hand.
  const parsed = JSON.parse(text) as Journal;
  if (parsed?.version !== 1 || !Array.isArray(parsed.entries)) throw new Error(`${journalPath(root)} is not a Sluice publication journal`);
  return parsed;
}

export async function removeJournal(root: string): Promise<void> {
  await rm(journalPath(root), { force: true });
  await syncDir(resolve(root));
}
