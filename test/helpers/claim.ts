import type { ClaimJobWithLeasesResult, Store } from '../../src/store/index.js';

let holders = 0;

/**
 * A claim as the worker makes it (Store.claimJobWithLeases), of a job of one of `kinds`,
 * which need no lease: for tests of what follows a claim. A test of nodes and semaphores
 * passes their lease needs to claimJobWithLeases itself.
 */
export function claimAs(store: Store, input: { worker: string; now: number; leaseMs: number; kinds: readonly string[] }): Promise<ClaimJobWithLeasesResult> {
  return store.claimJobWithLeases({
    worker: input.worker, holder: `${input.worker}#${++holders}`, now: input.now, leaseMs: input.leaseMs,
    kinds: input.kinds.map((kind) => ({ kind, leases: [] })),
  });
}
