import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Dashboard sessions: a cookie that holds who logged in, with which token (a short id of
 * its hash, so removing the token ends the session at the next restart or reload of
 * tokens), until when, and a nonce; signed with HMAC-SHA256. The token itself never
 * leaves the login request. The same secret derives each session's CSRF token.
 */
export const SESSION_COOKIE = 'sluice_session';
export const LOGIN_COOKIE = 'sluice_login';

export interface Session {
  readonly person: string;
  /** The first 16 hex digits of the token's SHA-256. */
  readonly key: string;
  readonly expires: number;
  readonly nonce: string;
}

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export class SessionSigner {
  constructor(private readonly secret: Buffer) {
    if (secret.length < 32) throw new Error('a session secret must be at least 32 bytes');
  }

  static random(): SessionSigner {
    return new SessionSigner(randomBytes(32));
  }

  private mac(text: string): Buffer {
    return createHmac('sha256', this.secret).update(text).digest();
  }

  issue(person: string, key: string, now: number, ttlMs: number): { cookie: string; session: Session } {
    const session: Session = { person, key, expires: now + ttlMs, nonce: randomBytes(16).toString('base64url') };
    const body = b64(JSON.stringify({ p: session.person, k: session.key, e: session.expires, n: session.nonce }));
    return { cookie: `${body}.${b64(this.mac(`session\0${body}`))}`, session };
  }

  /** The session a cookie holds, or undefined when it is forged, garbled or expired. */
  read(cookie: string | undefined, now: number): Session | undefined {
    if (!cookie || cookie.length > 1024) return undefined;
    const [body, sig, ...rest] = cookie.split('.');
    if (!body || !sig || rest.length > 0) return undefined;
    const want = this.mac(`session\0${body}`);
    const got = Buffer.from(sig, 'base64url');
    if (got.length !== want.length || !timingSafeEqual(got, want)) return undefined;
    try {
      const v = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
      if (typeof v.p !== 'string' || typeof v.k !== 'string' || typeof v.e !== 'number' || typeof v.n !== 'string') return undefined;
      if (v.e <= now) return undefined;
      return { person: v.p, key: v.k, expires: v.e, nonce: v.n };
    } catch {
      return undefined;
    }
  }

  /** The hidden field of every form of a session (or of a trusted proxy's user: `header:PERSON`). */
  csrfToken(binding: string): string {
    return b64(this.mac(`csrf\0${binding}`));
  }

  checkCsrf(binding: string, sent: unknown): boolean {
    if (typeof sent !== 'string' || sent.length > 200) return false;
    const want = this.mac(`csrf\0${binding}`);
    const got = Buffer.from(sent, 'base64url');
    return got.length === want.length && timingSafeEqual(got, want);
  }
}

/** The cookies of a request, by name; the first of a name wins. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at < 0) continue;
    const name = part.slice(0, at).trim();
    if (name !== '' && !out.has(name)) out.set(name, part.slice(at + 1).trim());
  }
  return out;
}

export function setCookie(name: string, value: string, o: { maxAgeSeconds: number; path?: string; secure: boolean }): string {
  return `${name}=${value}; Path=${o.path ?? '/'}; Max-Age=${Math.max(0, Math.floor(o.maxAgeSeconds))}; HttpOnly; SameSite=Strict${o.secure ? '; Secure' : ''}`;
}
