import type { SshHost } from './ssh-config.js';

export interface PooledHost {
  readonly spec: SshHost;
  /** `ssh:user@host:port`, the node name a job records. */
  readonly name: string;
  running: number;
  downUntil: number;
  downWhy: string;
}

export type HostChoice = { readonly ok: true; readonly host: PooledHost } | { readonly ok: false; readonly reason: string };

/**
 * The provider's hosts and how many jobs each runs. The engine leases the provider's total
 * capacity; this picks the host inside it: the least loaded (by share of its capacity)
 * among those up with room, the first listed on a tie. A host that could not be reached
 * sits out for a while, so the job's retry goes elsewhere.
 */
export class HostPool {
  readonly hosts: PooledHost[];

  constructor(hosts: readonly SshHost[], private readonly downForMs: number) {
    this.hosts = hosts.map((spec) => ({ spec, name: `ssh:${spec.user}@${spec.host}:${spec.port}`, running: 0, downUntil: 0, downWhy: '' }));
  }

  get capacity(): number {
    return this.hosts.reduce((n, h) => n + h.spec.capacity, 0);
  }

  /** The least-loaded host up with room; `besides` are left out (a multi-node job's other nodes). */
  take(now: number, besides: readonly PooledHost[] = []): HostChoice {
    let best: PooledHost | undefined;
    for (const h of this.hosts) {
      if (h.downUntil > now || h.running >= h.spec.capacity || besides.includes(h)) continue;
      if (!best || h.running / h.spec.capacity < best.running / best.spec.capacity) best = h;
    }
    if (best) {
      best.running++;
      return { ok: true, host: best };
    }
    const why = this.hosts.map((h) => (besides.includes(h) ? `${h.name} holds another role` : h.downUntil > now ? `${h.name} is down (${h.downWhy})` : `${h.name} is busy (${h.running}/${h.spec.capacity})`));
    return { ok: false, reason: `no host can take the job: ${why.join('; ')}` };
  }

  release(h: PooledHost): void {
    h.running = Math.max(0, h.running - 1);
  }

  markDown(h: PooledHost, now: number, why: string): void {
    h.downUntil = now + this.downForMs;
    h.downWhy = why;
  }
}
