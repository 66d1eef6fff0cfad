import type { Execution, ExecutionOutcome, NodeProvider } from '../../src/engine/node-provider.js';

/** One node request the wrapper made fail, and how. */
export interface InjectedFault {
  readonly jobId: string;
  readonly attempt: number;
  /** `refused`: the provider answers infra; `threw`: it throws, as a cloud client does. */
  readonly how: 'refused' | 'threw';
}

export interface FaultyProvider extends NodeProvider {
  readonly injected: InjectedFault[];
  /** Every node request, faulted or not. */
  readonly requests: number;
}

/**
 * Fault injection around a real provider: each node request fails, with probability
 * `rate` drawn from the seeded `random`, the two ways a real provider fails (an infra
 * answer, or an exception). The requests that are not faulted run on the real provider;
 * what is tested is the engine's retry and blame logic, never a mock of it.
 */
export function faultyProvider(inner: NodeProvider, o: { rate: number; random: () => number }): FaultyProvider {
  const injected: InjectedFault[] = [];
  let requests = 0;
  const provider: FaultyProvider = {
    name: inner.name,
    capacity: inner.capacity,
    injected,
    get requests() { return requests; },
    async execute(ex: Execution): Promise<ExecutionOutcome> {
      requests++;
      if (o.random() >= o.rate) return inner.execute(ex);
      const how = o.random() < 0.5 ? 'refused' : 'threw';
      injected.push({ jobId: ex.jobId, attempt: ex.attempt, how });
      if (how === 'threw') throw new Error(`node request for ${ex.spec.target} timed out (fault injected)`);
      return { result: 'infra', reason: `no node for ${ex.spec.target}: quota exceeded (fault injected)`, node: inner.name, logPath: null };
    },
  };
  if (inner.reap) {
    const reap = inner.reap.bind(inner);
    Object.assign(provider, { reap });
  }
  return provider;
}
