import type { ExecutionOutcome } from '../../../engine/node-provider.js';
import { toOutcome } from '../local/local-provider.js';
import type { RemoteExit } from './remote-run.js';

/**
 * The local provider's mapping of how a command ended, plus a connection lost under the
 * command: the node is gone, not the update's fault.
 */
export function remoteOutcome(exit: RemoteExit, timeoutMs: number, which: string | undefined, node: string): Pick<ExecutionOutcome, 'result' | 'reason'> {
  if (exit.kind !== 'connection_lost') return toOutcome(exit, timeoutMs, which);
  const of = which === undefined ? 'the test command' : `"${which}"`;
  return { result: 'infra', reason: `the connection to ${node} was lost while ${of} ran: ${exit.message}` };
}
