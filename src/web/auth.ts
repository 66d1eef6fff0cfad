import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ApiError } from './api-error.js';

/** Who may do what: actions always need a token; reads only when they are not public. */
export type Access = 'public' | 'read' | 'action';

export interface AuthPolicy {
  readonly tokens: readonly string[];
  readonly publicReads: boolean;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Compares digests in constant time, so a wrong token's timing tells nothing of a right one. */
function known(tokens: readonly Buffer[], candidate: string): boolean {
  const d = digest(candidate);
  let found = false;
  for (const t of tokens) found = timingSafeEqual(t, d) || found;
  return found;
}

export function authorizer(policy: AuthPolicy): (access: Access, authorization: string | undefined) => void {
  const tokens = policy.tokens.map(digest);
  return (access, authorization) => {
    if (access === 'public' || (access === 'read' && policy.publicReads)) return;
    if (access === 'action' && tokens.length === 0) {
      throw new ApiError('E_ACTIONS_DISABLED', 'this server has no API token configured, so it refuses actions (see web.token_file in docs/web.md)');
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m?.[1]) throw new ApiError('E_TOKEN_MISSING', `${access === 'action' ? 'an action' : 'reading'} needs an API token: send "Authorization: Bearer TOKEN"`);
    if (!known(tokens, m[1])) throw new ApiError('E_TOKEN_INVALID', 'the API token is not one this server knows');
  };
}

/** Tokens from `$SLUICE_WEB_TOKENS` (spaces or commas between) and a token file (one a line, `#` comments). */
export function readTokens(env: Readonly<Record<string, string | undefined>>, tokenFile: string | undefined): string[] {
  const fromEnv = (env.SLUICE_WEB_TOKENS ?? '').split(/[\s,]+/);
  const fromFile = tokenFile === undefined ? [] : readFileSync(tokenFile, 'utf8').split('\n').map((l) => l.replace(/#.*/, ''));
  return [...new Set([...fromEnv, ...fromFile].map((t) => t.trim()).filter((t) => t !== ''))];
}
