import { createHash, randomBytes } from 'node:crypto';
import { ROLES } from '../core/config-schema.js';

/**
 * Named API tokens. A token file (and `$SLUICE_WEB_TOKENS`) holds one line per token:
 *
 *     PERSON ROLES sha256:HEX   # optional comment
 *
 * e.g. `alice packager,release sha256:3f1c...`. Only the SHA-256 of a token is kept: the
 * tokens `sluice token add` makes carry 256 random bits, so a slow hash (scrypt) would add
 * nothing but latency to every request; a guessed password is never a token here.
 */
export { ROLES };
export type Role = (typeof ROLES)[number];

export interface TokenEntry {
  readonly person: string;
  readonly roles: readonly Role[];
  /** Hex SHA-256 of the token. */
  readonly hash: string;
  /** Where it was read: `FILE:LINE` or `$SLUICE_WEB_TOKENS entry N`. */
  readonly source: string;
}

export const TOKEN_PREFIX = 'sluice_';
const PERSON = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;
export const PERSON_RULE = 'letters, digits and . _ @ + - (at most 64, starting with a letter or digit)';

export function isPersonName(text: string): boolean {
  return PERSON.test(text);
}

/** A new token: 32 random bytes, base64url, with a prefix that secret scanners can spot. */
export function newToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** How the token file writes no role (a token that may only read, e.g. for Prometheus). */
export const NO_ROLE = '-';

export function tokenLine(person: string, roles: readonly Role[], token: string): string {
  return `${person} ${roles.length === 0 ? NO_ROLE : roles.join(',')} sha256:${tokenHash(token)}`;
}

/** Roles as `--roles` and the token file write them: comma-separated, each known, none twice; `-` (or `none`) for none. */
export function parseRoles(text: string): { ok: true; roles: Role[] } | { ok: false; why: string } {
  if (text.trim() === NO_ROLE || text.trim() === 'none') return { ok: true, roles: [] };
  const names = text.split(',').map((r) => r.trim()).filter((r) => r !== '');
  if (names.length === 0) return { ok: false, why: `no role: give one or more of ${ROLES.join(', ')}, separated by commas, or none (a token that only reads)` };
  const unknown = names.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length > 0) return { ok: false, why: `unknown role ${unknown.map((r) => `"${r}"`).join(', ')}: the roles are ${ROLES.join(', ')}` };
  return { ok: true, roles: [...new Set(names as Role[])] };
}

export class TokenFileError extends Error {
  /** A bare token of the old format (which `sluice token add --stdin` converts): the only problem it may step over. */
  constructor(message: string, readonly bare = false) {
    super(message);
  }
}

/**
 * One line of a token file (`#` comments and blank lines give null). A line of one word is
 * a bare token of the format before named tokens: refused with the way to convert it, and
 * without repeating it (it is a secret).
 */
export function parseTokenLine(line: string, where: string): TokenEntry | null {
  const text = line.replace(/#.*/, '').trim();
  if (text === '') return null;
  const words = text.split(/\s+/);
  if (words.length === 1) {
    throw new TokenFileError(`${where}: a bare token (the format before tokens had a person and roles): hash it with a person and roles, e.g. \`sluice token add alice --roles admin --stdin --file FILE\` with the token on standard input, then delete this line (docs/web.md, tokens)`, true);
  }
  if (words.length !== 3) throw new TokenFileError(`${where}: expected "PERSON ROLES sha256:HEX" (3 fields), found ${words.length}`);
  const [person = '', rolesText = '', hashText = ''] = words;
  if (!isPersonName(person)) throw new TokenFileError(`${where}: person "${person.slice(0, 64)}" must be ${PERSON_RULE}`);
  const roles = parseRoles(rolesText);
  if (!roles.ok) throw new TokenFileError(`${where}: ${roles.why}`);
  const m = /^sha256:([0-9a-f]{64})$/.exec(hashText);
  if (!m?.[1]) throw new TokenFileError(`${where}: the third field must be sha256: and 64 lowercase hex digits (what \`sluice token add\` writes), not a token itself`);
  return { person, roles: roles.roles, hash: m[1], source: where };
}

/** Every entry of a token file's text; the first bad line throws, naming it. */
export function parseTokenFile(text: string, file: string, o: { skipBare?: boolean } = {}): TokenEntry[] {
  return text.split('\n').flatMap((line, i) => {
    try {
      return parseTokenLine(line, `${file}:${i + 1}`) ?? [];
    } catch (e) {
      if (o.skipBare && e instanceof TokenFileError && e.bare) return [];
      throw e;
    }
  });
}

/** `$SLUICE_WEB_TOKENS`: the same lines, separated by newlines or `;`. */
export function parseTokenEnv(text: string, name = '$SLUICE_WEB_TOKENS'): TokenEntry[] {
  return text.split(/[\n;]/).flatMap((part, i) => parseTokenLine(part, `${name} entry ${i + 1}`) ?? []);
}

/** The two sources together; one hash given twice is refused (two people would share a token). */
export function joinTokenSources(...lists: readonly (readonly TokenEntry[])[]): TokenEntry[] {
  const seen = new Map<string, TokenEntry>();
  for (const e of lists.flat()) {
    const before = seen.get(e.hash);
    if (before) throw new TokenFileError(`${e.source}: the same token as ${before.source}: each token belongs to one person`);
    seen.set(e.hash, e);
  }
  return [...seen.values()];
}
