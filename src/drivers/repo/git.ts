import { execFile } from 'node:child_process';

export interface GitResult { readonly stdout: string; readonly stderr: string }

/** The author and committer Sluice uses for commits it makes on its own behalf. */
export const SLUICE_IDENTITY = { name: 'Sluice', email: 'sluice@localhost' } as const;

/**
 * Runs git with an argument vector, never a shell: file names and ids from update files
 * reach git as arguments, so nothing in them is interpreted.
 */
export function git(cwd: string, args: readonly string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<GitResult> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile('git', [...args], {
      cwd,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', ...opts.env },
      maxBuffer: 64 * 1024 * 1024,
    }, (error, stdout, stderr) => {
      if (error) reject(new Error(`git ${args.join(' ')} failed in ${cwd}: ${stderr.trim() || error.message}`, { cause: error }));
      else resolvePromise({ stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

export function identityEnv(who: { name: string; email: string }): Record<string, string> {
  return {
    GIT_AUTHOR_NAME: who.name, GIT_AUTHOR_EMAIL: who.email,
    GIT_COMMITTER_NAME: SLUICE_IDENTITY.name, GIT_COMMITTER_EMAIL: SLUICE_IDENTITY.email,
  };
}
