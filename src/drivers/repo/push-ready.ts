import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import { git, identityEnv } from './git.js';
import { gitWithIndexLockRetry } from './index-lock.js';
import { originalAuthor } from './move-to-ready.js';
import { assertUpdateId, headCommit, RUN_ID_PATTERN, RUN_TRAILER, withRepository } from './update-repo.js';

export type PushOutcome =
  | { readonly id: string; readonly done: true; readonly commit: string }
  | { readonly id: string; readonly done: false; readonly why: 'gone' | 'already' };

/**
 * An update's builds are in production: one commit `Push ready/<id>` moves `ready/<id>.yml`
 * to `pushed/<id>.yml` and adds `pushed/<id>.yml.files`, the published paths one per line,
 * as `rdopkg push-updates` did. The author is the update's; the run trailer makes a resumed
 * run find its commit instead of making another (`already`).
 */
export async function pushReady(req: { repoPath: string; runId: string; id: string; files: readonly string[] }): Promise<PushOutcome> {
  const bad = req.files.find((f) => typeof f !== 'string' || f === '' || /[\n\r\0]/.test(f));
  if (bad !== undefined) throw new Error(`refusing published path ${JSON.stringify(bad)}: .files lists one path per line`);
  const list = { path: `pushed/${req.id}.yml.files`, content: req.files.map((f) => `${f}\n`).join('') };
  return finishReady(req.repoPath, req.runId, req.id, 'Push', 'pushed', list, '');
}

/**
 * Promotion failed for an update: one commit `Fail ready/<id>` moves it to `failed/<id>.yml`
 * with the reasons, one per line, as the message body. Reasons may quote anything (a
 * checksum, a tool's output): they reach git on stdin and are stored verbatim, except NUL,
 * which a commit message cannot hold. They come before the trailer paragraph, so no reason
 * can pass for a trailer.
 */
export async function failReady(req: { repoPath: string; runId: string; id: string; reasons: readonly string[] }): Promise<PushOutcome> {
  const body = req.reasons.map((r) => String(r).replace(/\0/g, '\uFFFD')).join('\n');
  return finishReady(req.repoPath, req.runId, req.id, 'Fail', 'failed', null, body === '' ? '' : `${body}\n\n`);
}

/** The updates in ready/ at HEAD, with their file's content: what a promote run takes. */
export async function listReady(repoPath: string): Promise<{ id: string; blob: string; content: string }[]> {
  const out: { id: string; blob: string; content: string }[] = [];
  for (const f of await readyBlobs(repoPath)) out.push({ ...f, content: (await git(repoPath, ['cat-file', 'blob', f.blob])).stdout });
  return out;
}

/** The updates in ready/ at HEAD with their blob ids, by id, none read: enough to tell whether ready/ changed. */
export async function readyBlobs(repoPath: string): Promise<{ id: string; blob: string }[]> {
  const { stdout } = await git(repoPath, ['ls-tree', '-z', 'HEAD', '--', 'ready/']);
  const out: { id: string; blob: string }[] = [];
  for (const entry of stdout.split('\0')) {
    const m = /^\d+ blob ([0-9a-f]+)\tready\/([^/]+)\.yml$/.exec(entry);
    if (!m?.[1] || !m[2]) continue;
    try {
      assertUpdateId(m[2]);
    } catch {
      continue;
    }
    out.push({ id: m[2], blob: m[1] });
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

type Kind = 'Push' | 'Fail';

async function finishReady(repoPath: string, runId: string, id: string, kind: Kind, folder: string, extra: { path: string; content: string } | null, body: string): Promise<PushOutcome> {
  if (!RUN_ID_PATTERN.test(runId)) throw new Error(`refusing run id ${JSON.stringify(runId)}`);
  assertUpdateId(id);
  return withRepository(repoPath, async () => {
    const from = `ready/${id}.yml`;
    const to = `${folder}/${id}.yml`;
    const subject = `${kind} ready/${id}`;
    if (await runCommitFor(repoPath, runId, subject)) return { id, done: false, why: 'already' };
    if ((await blobAt(repoPath, 'HEAD', from)) === undefined) return { id, done: false, why: 'gone' };
    const paths = [from, to, ...(extra ? [extra.path] : [])];
    await undoInterrupted(repoPath, paths);
    const author = await originalAuthor(repoPath, from);
    mkdirSync(join(repoPath, folder), { recursive: true });
    // -f: an id pushed before (a re-submitted update) is replaced by this push.
    await gitWithIndexLockRetry(repoPath, ['mv', '-f', '--', from, to]);
    if (extra) {
      writeFileAtomic(join(repoPath, extra.path), Buffer.from(extra.content, 'utf8'));
      await gitWithIndexLockRetry(repoPath, ['add', '--', extra.path]);
    }
    await gitWithIndexLockRetry(repoPath, ['commit', '--quiet', '--cleanup=verbatim', '-F', '-', '--', ...paths], {
      env: identityEnv(author), input: `${subject}\n\n${body}${RUN_TRAILER}: ${runId}\n`,
    });
    return { id, done: true, commit: await headCommit(repoPath) };
  });
}

/** A commit on HEAD with this subject whose run trailer (the last paragraph only) is this run. */
async function runCommitFor(repoPath: string, runId: string, subject: string): Promise<boolean> {
  const { stdout } = await git(repoPath, [
    'log', '--fixed-strings', `--grep=${RUN_TRAILER}: ${runId}`,
    `--format=%s%x1f%(trailers:key=${RUN_TRAILER},valueonly,separator=%x1f)%x1e`, 'HEAD', '--',
  ]);
  return stdout.split('\x1e').some((record) => {
    const [s, ...runs] = record.trim().split('\x1f');
    return s === subject && runs.map((r) => r.trim()).includes(runId);
  });
}

/** A kill between `git mv` and the commit leaves staged changes: every path back as HEAD has it. */
async function undoInterrupted(repoPath: string, paths: readonly string[]): Promise<void> {
  await gitWithIndexLockRetry(repoPath, ['reset', '--quiet', '--', ...paths]).catch(() => undefined);
  for (const path of paths) {
    if ((await blobAt(repoPath, 'HEAD', path)) !== undefined) await gitWithIndexLockRetry(repoPath, ['checkout', '--quiet', 'HEAD', '--', path]);
    else if (existsSync(join(repoPath, path))) rmSync(join(repoPath, path), { force: true });
  }
}

async function blobAt(repoPath: string, rev: string, path: string): Promise<string | undefined> {
  try {
    return (await git(repoPath, ['rev-parse', '--verify', '--quiet', `${rev}:${path}`])).stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}
