import type { WebLimits } from '../core/config-schema.js';
import { ApiError } from './api-error.js';

/** `web.limits` of sluice.yaml (documented there): 0 turns a limit off. */
export type { WebLimits };

/** Clients remembered at most; the idlest are forgotten first (a forgotten client starts with a full burst). */
const MAX_CLIENTS = 10_000;

export type Refusal = 'rate' | 'streams_per_client' | 'streams';

interface Bucket { tokens: number; at: number }

/**
 * Per client address: a token bucket for requests (`request_burst` deep, refilled at
 * `requests_per_second`) and a count of open streams; in total: a count of open streams.
 * A refusal is an ApiError with the seconds to wait, and is counted for /metrics.
 */
export class ClientLimits {
  private readonly buckets = new Map<string, Bucket>();
  private readonly streamsOf = new Map<string, number>();
  private open = 0;

  constructor(private readonly limits: WebLimits, private readonly now: () => number, private readonly refused: (why: Refusal) => void) {}

  /** Takes one request's token, or throws E_RATE_LIMITED with the seconds until the next. */
  request(client: string): void {
    const { requests_per_second: rate, request_burst: burst } = this.limits;
    if (rate <= 0) return;
    const now = this.now();
    const b = this.buckets.get(client) ?? { tokens: Math.max(1, burst), at: now };
    b.tokens = Math.min(Math.max(1, burst), b.tokens + ((now - b.at) / 1000) * rate);
    b.at = now;
    // Re-inserted, so the map's order is least recently seen first.
    this.buckets.delete(client);
    this.buckets.set(client, b);
    if (this.buckets.size > MAX_CLIENTS) this.buckets.delete(this.buckets.keys().next().value as string);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return;
    }
    this.refused('rate');
    throw new ApiError('E_RATE_LIMITED', `more than ${rate} requests a second (bursts of ${burst}) from this address: wait and retry`, undefined, Math.ceil((1 - b.tokens) / rate));
  }

  /** Admits one more stream for the client, or throws; the answer releases it, once. */
  stream(client: string): () => void {
    const { streams, streams_per_client: perClient } = this.limits;
    const held = this.streamsOf.get(client) ?? 0;
    if (streams > 0 && this.open >= streams) {
      this.refused('streams');
      throw new ApiError('E_SERVER_BUSY', `the server holds ${this.open} live streams, its limit (web.limits.streams): retry later`, undefined, 5);
    }
    if (perClient > 0 && held >= perClient) {
      this.refused('streams_per_client');
      throw new ApiError('E_RATE_LIMITED', `this address holds ${held} live streams, the limit (web.limits.streams_per_client): close a tab and retry`, undefined, 5);
    }
    this.open += 1;
    this.streamsOf.set(client, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.open -= 1;
      const left = (this.streamsOf.get(client) ?? 1) - 1;
      if (left > 0) this.streamsOf.set(client, left);
      else this.streamsOf.delete(client);
    };
  }

  get openStreams(): number {
    return this.open;
  }
}
