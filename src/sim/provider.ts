import type { Clock } from '../engine/clock.js';
import type { Execution, ExecutionOutcome, NodeProvider } from '../engine/node-provider.js';
import { keyedRandom } from './prng.js';

export interface SimProviderOptions {
  readonly clock: Clock;
  readonly capacity: number;
  readonly name?: string;
  readonly seed?: number;
  /** Booting a node from a known-good image (spec.mode 'image'); default 5 minutes. */
  readonly bootMs?: number;
  /** Provisioning a node from scratch (spec.mode 'provision'); default 30 minutes. */
  readonly provisionMs?: number;
  /** Installing the update and running the tests; default 20 minutes. */
  readonly testMs?: number;
  /** The test time varies uniformly by up to this share either way; default 0.25. */
  readonly testJitter?: number;
  /** Probability that a given update fails on a given target (the same on every attempt); default 0.2. */
  readonly red?: number;
  /** Probability that an attempt cannot get or prepare its node (`infra`, retried); default 0. */
  readonly infra?: number;
}

export const SIM_DEFAULTS = { bootMs: 5 * 60_000, provisionMs: 30 * 60_000, testMs: 20 * 60_000, testJitter: 0.25, red: 0.2, infra: 0 } as const;

/**
 * Nodes that exist only in simulated time: an attempt sleeps on the clock for the node's
 * preparation and the tests, and ends as the seeded dice say. The engine leases, claims,
 * heartbeats and retries exactly as with real nodes.
 */
export function simProvider(o: SimProviderOptions): NodeProvider {
  const seed = o.seed ?? 1;
  const p = { ...SIM_DEFAULTS, ...defined(o) };
  const name = o.name ?? 'sim';
  return {
    name,
    capacity: o.capacity,
    async execute(ex: Execution): Promise<ExecutionOutcome> {
      const node = `${name}:${ex.jobId}#${ex.attempt}`;
      const attempt = keyedRandom(seed, 'attempt', ex.jobId, ex.attempt);
      const prepareMs = ex.spec.mode === 'image' ? p.bootMs : p.provisionMs;
      const end = (result: ExecutionOutcome['result'], reason: string): ExecutionOutcome => ({ result, reason, node, logPath: null });
      const cancelled = () => end('cancelled', 'cancelled');
      if (attempt() < p.infra) {
        // A node request fails somewhere during preparation, never after the tests ran.
        await sleepWithin(o.clock, Math.round(prepareMs * attempt()), ex);
        return ex.signal.aborted ? cancelled() : end('infra', `simulated: no ${ex.spec.mode === 'image' ? 'booted' : 'provisioned'} node`);
      }
      const testMs = Math.round(p.testMs * (1 + p.testJitter * (2 * attempt() - 1)));
      const total = prepareMs + testMs;
      if (total > ex.spec.timeoutMs) {
        await o.clock.sleep(ex.spec.timeoutMs, ex.signal);
        return ex.signal.aborted ? cancelled() : end('timeout', `simulated: no result after ${ex.spec.timeoutMs} ms`);
      }
      await o.clock.sleep(total, ex.signal);
      if (ex.signal.aborted) return cancelled();
      const red = keyedRandom(seed, 'red', ex.spec.updateId, ex.spec.target)() < p.red;
      return red ? end('failure', `simulated: the update fails on ${ex.spec.target}`) : end('success', 'simulated: the tests passed');
    },
  };
}

function sleepWithin(clock: Clock, ms: number, ex: Execution): Promise<void> {
  return clock.sleep(Math.min(ms, ex.spec.timeoutMs), ex.signal);
}

function defined(o: SimProviderOptions): Partial<typeof SIM_DEFAULTS> {
  return Object.fromEntries(Object.entries(o).filter(([k, v]) => k in SIM_DEFAULTS && v !== undefined));
}
