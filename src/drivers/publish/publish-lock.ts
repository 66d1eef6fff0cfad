import { randomBytes } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { KeyedQueue } from '../repo/keyed-queue.js';

/**
 * One publication (or recovery) at a time per production root. Recovery deletes trees a
 * crashed publication left behind; run beside a live publication it would delete that
 * one's trees, so both take this lock. Within a process calls queue; across processes a
 * lock file holds the owner's pid, and a lock whose owner is dead (a `kill -9`) is broken.
 */
export const LOCK_NAME = '.sluice-publish.lock';

const queue = new KeyedQueue();

export function withPublishLock<T>(root: string, task: () => Promise<T>): Promise<T> {
  const key = resolve(root);
  return queue.run(key, async () => {
    await mkdir(key, { recursive: true });
    const lock = join(key, LOCK_NAME);
    await acquire(lock);
    try {
      return await task();
    } finally {
      await rm(lock, { force: true });
    }
  });
}

const owner = () => `${process.pid}\n${hostname()}\n`;

async function acquire(lock: string): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await create(lock)) return;
    const held = await readFile(lock, 'utf8').catch(() => '');
    const [pid, host] = held.split('\n');
    if (host !== hostname()) {
      throw new Error(`${lock} is held by pid ${pid} on ${host || 'an unknown host'}; remove it if that process is gone`);
    }
    if (alive(Number(pid))) throw new Error(`another publication (pid ${pid}) is running on this production root (${lock})`);
    await breakStale(lock, held);
  }
  throw new Error(`could not take ${lock}: others keep breaking and taking it`);
}

/** Written aside and hard-linked into place, so a lock file is never seen empty, even after a kill. */
async function create(lock: string): Promise<boolean> {
  const tmp = `${lock}.new-${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, owner(), { flag: 'wx' });
  try {
    await link(tmp, lock);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return false;
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Moves the dead owner's lock aside; if someone else took it meanwhile, theirs goes back. */
async function breakStale(lock: string, held: string): Promise<void> {
  const aside = `${lock}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(lock, aside);
  } catch {
    return;
  }
  if ((await readFile(aside, 'utf8').catch(() => held)) === held) await rm(aside, { force: true });
  else await rename(aside, lock).catch(() => rm(aside, { force: true }));
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Lock files of dead processes (`.new-<pid>-…`, `.stale-<pid>-…`) left by a kill mid-acquire. */
export async function removeLockLeftovers(root: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(resolve(root)).catch(() => [] as string[])) {
    const m = new RegExp(`^${LOCK_NAME.replace(/\./g, '\\.')}\\.(?:new|stale)-(\\d+)-[0-9a-f]+$`).exec(name);
    if (m?.[1] && !alive(Number(m[1]))) {
      await rm(join(resolve(root), name), { force: true });
      removed.push(name);
    }
  }
  return removed;
}
