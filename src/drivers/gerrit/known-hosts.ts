import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * OpenSSH's known_hosts, enough to check the Gerrit server's host key: plain and hashed
 * (`|1|salt|hash`) host patterns, `[host]:port` for a port other than 22, `*`/`?`
 * wildcards, `!` negations, and `@revoked` keys. Sluice never trusts a host key on first
 * use: a server missing from the file is refused, as `StrictHostKeyChecking yes` would.
 */

interface Entry {
  readonly patterns: readonly string[];
  readonly key: Buffer;
  readonly revoked: boolean;
}

export interface KnownHosts {
  /** Whether `key` (the SSH wire-format host key blob) is known and not revoked for the host. */
  verify(host: string, port: number, key: Buffer): boolean;
  /** Whether the file lists the host at all (to say which problem it is). */
  lists(host: string, port: number): boolean;
}

export function parseKnownHosts(text: string): KnownHosts {
  const entries: Entry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: string | undefined;
    if (fields[0]?.startsWith('@')) marker = fields.shift();
    // Certificate authorities need certificate support this client does not have.
    if (marker === '@cert-authority') continue;
    const [hosts, , keyText] = fields;
    if (!hosts || !keyText) continue;
    entries.push({ patterns: hosts.split(','), key: Buffer.from(keyText, 'base64'), revoked: marker === '@revoked' });
  }
  const matching = (host: string, port: number) => {
    const name = port === 22 ? host : `[${host}]:${port}`;
    return entries.filter((e) => hostMatches(e.patterns, name));
  };
  return {
    verify(host, port, key) {
      const found = matching(host, port);
      if (found.some((e) => e.revoked && e.key.equals(key))) return false;
      return found.some((e) => !e.revoked && e.key.length === key.length && timingSafeEqual(e.key, key));
    },
    lists(host, port) {
      return matching(host, port).some((e) => !e.revoked);
    },
  };
}

function hostMatches(patterns: readonly string[], name: string): boolean {
  let matched = false;
  for (const p of patterns) {
    if (p.startsWith('|1|')) {
      if (hashedMatches(p, name)) matched = true;
    } else if (p.startsWith('!')) {
      if (globMatches(p.slice(1), name)) return false;
    } else if (globMatches(p, name)) {
      matched = true;
    }
  }
  return matched;
}

function hashedMatches(pattern: string, name: string): boolean {
  const [, , salt, hash] = pattern.split('|');
  if (!salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const got = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
  return expected.length === got.length && timingSafeEqual(expected, got);
}

function globMatches(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.toLowerCase().replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(name.toLowerCase());
}
