import { readFileSync } from 'node:fs';
import { ApiError } from './api-error.js';
import type { Identity } from './roles.js';
import { parseCookies, SESSION_COOKIE, SessionSigner } from './session.js';
import { joinTokenSources, parseTokenEnv, parseTokenFile, tokenHash, type TokenEntry } from './tokens.js';
import { TrustedHeader, type TrustedHeaderConfig } from './trusted-header.js';

/**
 * Who may reach a route: `public` anyone; `read` anyone while reads are public, else
 * anyone recognised; `action` (the API's writes) a token or a trusted proxy's user, never
 * a cookie; `form` (the dashboard's writes) a session or a trusted proxy's user, and the
 * form's CSRF token (checked by the route, once the body is read).
 */
export type Access = 'public' | 'read' | 'action' | 'form';

export interface AuthPolicy {
  readonly tokens: readonly TokenEntry[];
  readonly publicReads: boolean;
  /** Signs dashboard sessions; a random one per process when absent. */
  readonly sessions?: SessionSigner;
  readonly sessionTtlMs?: number;
  readonly trustedHeader?: TrustedHeaderConfig;
}

/** A recognised person and what binds their forms' CSRF token (the session's nonce, or the proxy's user). */
export interface Viewer {
  readonly identity: Identity;
  readonly csrfBinding: string;
}

export interface RequestFacts {
  readonly authorization: string | undefined;
  readonly cookie: string | undefined;
  readonly remote: string | undefined;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export const DEFAULT_SESSION_TTL_MS = 12 * 3600_000;
/** A session's key: the first 16 hex digits of its token's hash (enough to tell tokens apart, useless to guess one). */
const keyOf = (hash: string) => hash.slice(0, 16);

export class Authenticator {
  readonly sessions: SessionSigner;
  readonly sessionTtlMs: number;
  private readonly byHash = new Map<string, TokenEntry>();
  private readonly byKey = new Map<string, TokenEntry>();
  private readonly header: TrustedHeader | undefined;

  constructor(private readonly policy: AuthPolicy) {
    this.replaceTokens(policy.tokens);
    this.sessions = policy.sessions ?? SessionSigner.random();
    this.sessionTtlMs = policy.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
    this.header = policy.trustedHeader ? new TrustedHeader(policy.trustedHeader) : undefined;
  }

  /**
   * The tokens from now on (`sluice serve` rereads its token file on SIGHUP): a request or
   * session of a token no longer listed is nobody's from the next request on.
   */
  replaceTokens(tokens: readonly TokenEntry[]): void {
    this.byHash.clear();
    this.byKey.clear();
    for (const t of tokens) {
      this.byHash.set(t.hash, t);
      this.byKey.set(keyOf(t.hash), t);
    }
  }

  get publicReads(): boolean {
    return this.policy.publicReads;
  }

  /** Whether anyone at all can act: a token, or a proxy that names people. */
  get actionsPossible(): boolean {
    return this.byHash.size > 0 || this.header !== undefined;
  }

  /** Whether a connection comes from a proxy `web.trusted_header` names. */
  fromTrustedProxy(remote: string | undefined): boolean {
    return this.header?.fromProxy(remote) ?? false;
  }

  /** The token's entry: a hash looked up, so its timing says nothing about other tokens. */
  tokenEntry(token: string): TokenEntry | undefined {
    return this.byHash.get(tokenHash(token));
  }

  sessionKeyOf(entry: TokenEntry): string {
    return keyOf(entry.hash);
  }

  /**
   * Who is asking, by the first that applies: a Bearer token (a wrong one is refused), a
   * trusted proxy's header, a session cookie (not for `action`: the API never acts on a cookie).
   */
  identify(access: Access, r: RequestFacts, now: number): Viewer | undefined {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(r.authorization ?? '')?.[1];
    if (bearer !== undefined) {
      const entry = this.tokenEntry(bearer);
      if (entry) return { identity: { person: entry.person, roles: entry.roles, via: 'token' }, csrfBinding: `token:${entry.hash}` };
      if (access === 'action' || access === 'form' || (access === 'read' && !this.publicReads)) throw new ApiError('E_TOKEN_INVALID', 'the API token is not one this server knows');
      return undefined;
    }
    const byHeader = this.header?.identify(r.remote, r.headers);
    if (byHeader) return { identity: byHeader, csrfBinding: `header:${byHeader.person}` };
    if (access === 'action') return undefined;
    const session = this.sessions.read(parseCookies(r.cookie).get(SESSION_COOKIE), now);
    const entry = session ? this.byKey.get(session.key) : undefined;
    // A session outlives neither its token nor a change of the token's person.
    if (!session || !entry || entry.person !== session.person) return undefined;
    return { identity: { person: entry.person, roles: entry.roles, via: 'session' }, csrfBinding: `session:${session.nonce}` };
  }

  /** Refuses a request its route's access does not allow; answers who is asking. */
  authorize(access: Access, r: RequestFacts, now: number): Viewer | undefined {
    if ((access === 'action' || access === 'form') && !this.actionsPossible) throw disabled();
    const viewer = this.identify(access, r, now);
    // A proxy's sign-on rides along with every request a browser sends, a cross-site one too:
    // the API acts on it only for requests that no other site's page could have sent.
    if (access === 'action' && viewer?.identity.via === 'header' && crossSite(r)) {
      throw new ApiError('E_CSRF', 'a request from another site\'s page (its Origin or Sec-Fetch-Site says so) cannot act in the name of the proxy\'s user');
    }
    if (access === 'public' || viewer) return viewer;
    if (access === 'read' && this.publicReads) return undefined;
    if (access === 'form') throw new ApiError('E_LOGIN_REQUIRED', 'log in first (/login): the dashboard\'s buttons need a session');
    if (access === 'action' && r.cookie && parseCookies(r.cookie).has(SESSION_COOKIE) && r.authorization === undefined) {
      throw new ApiError('E_TOKEN_MISSING', 'an action of the API needs an API token: send "Authorization: Bearer TOKEN" (a dashboard session acts only through the dashboard\'s forms)');
    }
    throw new ApiError('E_TOKEN_MISSING', `${access === 'action' ? 'an action' : 'reading'} needs an API token: send "Authorization: Bearer TOKEN"${access === 'read' ? ', or log in at /login' : ''}`);
  }
}

function crossSite(r: RequestFacts): boolean {
  const site = r.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return true;
  const origin = r.headers.origin;
  if (typeof origin !== 'string') return false;
  try {
    return new URL(origin).host !== r.headers.host;
  } catch {
    return true;
  }
}

const disabled = () => new ApiError('E_ACTIONS_DISABLED', 'this server has no API token and no trusted header configured, so it refuses actions (see web.token_file in docs/web.md)');

/** Tokens from `$SLUICE_WEB_TOKENS` and the token file; a bad line throws, naming where it is. */
export function readTokens(env: Readonly<Record<string, string | undefined>>, tokenFile: string | undefined): TokenEntry[] {
  const fromEnv = parseTokenEnv(env.SLUICE_WEB_TOKENS ?? '');
  const fromFile = tokenFile === undefined ? [] : parseTokenFile(readFileSync(tokenFile, 'utf8'), tokenFile);
  return joinTokenSources(fromEnv, fromFile);
}
