import type { JobRole } from '../../../core/config.js';
import type { Execution, ExecutionOutcome } from '../../../engine/node-provider.js';

/** Where one role of a multi-node job runs: its node's name and the address its peers reach it at. */
export interface RoleNode {
  readonly role: string;
  readonly node: string;
  readonly address: string;
}

/** `$SLUICE_NODE_<ROLE>_IP` of every role, `$SLUICE_ROLE` and `$SLUICE_ROLES`: what each node knows of the others. */
export function roleEnvironment(nodes: readonly RoleNode[], role: string): Record<string, string> {
  const env: Record<string, string> = { SLUICE_ROLE: role, SLUICE_ROLES: nodes.map((n) => n.role).join(' ') };
  for (const n of nodes) env[`SLUICE_NODE_${n.role.toUpperCase()}_IP`] = n.address;
  return env;
}

/** An /etc/hosts fragment naming every role's node (`10.0.0.5 controller sluice-controller`), for `$SLUICE_HOSTS_FILE`. */
export function hostsFile(nodes: readonly RoleNode[]): string {
  return nodes.map((n) => `${n.address} ${n.role} sluice-${n.role.replaceAll('_', '-')}\n`).join('');
}

/**
 * Runs every role at once and makes one outcome of them. A role that fails stops the
 * others (their commands are killed) and the job fails naming it; a node lost (infra) is
 * infra for the whole job, whichever role it held; the job passes when every role passes.
 */
export async function runRoles(
  ex: Execution,
  roles: readonly JobRole[],
  runRole: (role: JobRole, execution: Execution) => Promise<ExecutionOutcome>,
): Promise<ExecutionOutcome> {
  const stopOthers = new AbortController();
  const signal = AbortSignal.any([ex.signal, stopOthers.signal]);
  let first: { role: string; outcome: ExecutionOutcome } | undefined;
  const outcomes = await Promise.all(roles.map(async (r) => {
    const outcome = await runRole(r, { ...ex, signal, spec: { ...ex.spec, command: r.command } });
    if (outcome.result !== 'success' && !first && !(stopOthers.signal.aborted && outcome.result === 'cancelled')) {
      first = { role: r.role, outcome };
      stopOthers.abort();
    }
    return { role: r.role, outcome };
  }));
  const nodes = outcomes.map((o) => `${o.role}=${o.outcome.node}`).join(', ');
  const base = outcomes[0]?.outcome;
  const shared = { node: nodes, logPath: base?.logPath ?? null, resultsDir: base?.resultsDir ?? null };
  const infra = outcomes.find((o) => o.outcome.result === 'infra');
  if (infra) return { ...shared, result: 'infra', reason: `role ${infra.role}: ${infra.outcome.reason}` };
  if (first) return { ...shared, result: first.outcome.result, reason: `role ${first.role}: ${first.outcome.reason}` };
  return { ...shared, result: 'success', reason: `every role passed (${roles.map((r) => r.role).join(', ')})` };
}
