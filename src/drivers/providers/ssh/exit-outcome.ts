import { formatDuration } from '../../../core/duration.js';
import type { ExecutionOutcome } from '../../../engine/node-provider.js';
import type { RemoteExit } from './remote-run.js';

/**
 * The local provider's mapping of how a command ended (kept the same, case for case),
 * plus a connection lost under the command: the node is gone, not the update's fault.
 */
export function remoteOutcome(exit: RemoteExit, timeoutMs: number, which: string | undefined, node: string): Pick<ExecutionOutcome, 'result' | 'reason'> {
  const of = which === undefined ? 'the test command' : `"${which}"`;
  switch (exit.kind) {
    case 'exited':
      return exit.code === 0 ? { result: 'success', reason: 'the tests passed' } : { result: 'failure', reason: `${of} exited with status ${exit.code}` };
    case 'signalled':
      return { result: 'failure', reason: `${of} was killed by ${exit.signal}` };
    case 'timeout':
      return { result: 'timeout', reason: `no result after ${formatDuration(timeoutMs)}: the job's processes were killed` };
    case 'cancelled':
      return { result: 'cancelled', reason: 'cancelled' };
    case 'output_limit':
      return { result: 'failure', reason: `${of} wrote more than ${exit.limitBytes} bytes of output and was stopped` };
    case 'spawn_failed':
      return { result: 'infra', reason: `cannot start ${of}: ${exit.message}` };
    case 'connection_lost':
      return { result: 'infra', reason: `the connection to ${node} was lost while ${of} ran: ${exit.message}` };
  }
}
