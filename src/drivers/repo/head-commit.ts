import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The commit id HEAD resolves to, read from the repository's files without a process
 * (HEAD, then a loose ref or packed-refs); undefined for anything else (a `.git` file of a
 * worktree, a symbolic ref to a symbolic ref, an unborn branch): ask git then.
 */
export function headCommitId(repoPath: string): string | undefined {
  const gitDir = join(repoPath, '.git');
  try {
    if (!statSync(gitDir).isDirectory()) return undefined;
    const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
    const commitId = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
    if (commitId.test(head)) return head;
    const ref = /^ref: (refs\/heads\/[^\0\s]+)$/.exec(head)?.[1];
    if (ref === undefined || ref.split('/').includes('..')) return undefined;
    const loose = join(gitDir, ref);
    if (existsSync(loose)) {
      const id = readFileSync(loose, 'utf8').trim();
      return commitId.test(id) ? id : undefined;
    }
    const packed = join(gitDir, 'packed-refs');
    if (!existsSync(packed)) return undefined;
    for (const line of readFileSync(packed, 'utf8').split('\n')) {
      const [id, name] = line.trim().split(' ');
      if (name === ref && id !== undefined && commitId.test(id)) return id;
    }
    return undefined;
  } catch {
    return undefined;
  }
}
