import { BlockList, isIP } from 'node:net';
import type { TrustedHeaderSchema } from '../core/config-schema.js';
import type { z } from 'zod';
import type { Identity } from './roles.js';
import { isPersonName } from './tokens.js';

export type TrustedHeaderConfig = z.output<typeof TrustedHeaderSchema>;

/**
 * A single sign-on proxy's word on who is asking: the header it sets, believed only on
 * connections from its addresses. From any other address the header is ignored, so a
 * client that reaches the server directly cannot name itself.
 */
export class TrustedHeader {
  private readonly proxies = new BlockList();
  private readonly header: string;

  constructor(private readonly config: TrustedHeaderConfig) {
    this.header = config.header.toLowerCase();
    for (const range of config.proxies) {
      const [address = '', bits = ''] = range.split('/');
      const family = isIP(address);
      if (family === 0) throw new Error(`web.trusted_header.proxies: "${range}" is not an address range (e.g. 127.0.0.1/32, ::1/128)`);
      const prefix = Number(bits);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) throw new Error(`web.trusted_header.proxies: "${range}" has a prefix length outside 0 to ${family === 4 ? 32 : 128}`);
      this.proxies.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
    }
  }

  /** Whether a connection comes from a configured proxy (an IPv4 address seen as ::ffff:a.b.c.d counts as IPv4). */
  fromProxy(remote: string | undefined): boolean {
    if (!remote) return false;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remote)?.[1];
    const address = mapped ?? remote;
    const family = isIP(address);
    return family !== 0 && this.proxies.check(address, family === 4 ? 'ipv4' : 'ipv6');
  }

  /**
   * The person the proxy names, or undefined: no header, not from a proxy, or a value that
   * is not a person's name (refused rather than guessed at).
   */
  identify(remote: string | undefined, headers: Readonly<Record<string, string | string[] | undefined>>): Identity | undefined {
    if (!this.fromProxy(remote)) return undefined;
    const value = headers[this.header];
    const person = typeof value === 'string' ? value.trim() : undefined;
    if (!person || !isPersonName(person)) return undefined;
    return { person, roles: this.config.roles[person] ?? [], via: 'header' };
  }
}
