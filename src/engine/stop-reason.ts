import { abortQuietly } from './abort-quietly.js';

/**
 * Why an attempt's commands were stopped before they ended on their own (Buildkite's typed
 * cancel). Each decides what is recorded for the attempt:
 * - `handed_back`: the worker is stopping and returns the job to the queue with its attempt
 *   given back; what the stopped commands made of it is not the job's to judge.
 * - `cancelled`: the job's run was cancelled (the heartbeat saw it); the attempt ends `cancelled`.
 * - `lease_lost`: the heartbeat was refused (the job was swept, or is another worker's now);
 *   nothing is recorded, only the leases are let go.
 */
export type StopReason =
  | { readonly kind: 'handed_back' }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'lease_lost' };

export type StopKind = StopReason['kind'];

/**
 * When reasons pile up, the stronger one decides: a lost lease leaves nothing to record,
 * and a cancelled run is not handed back to run again.
 */
const STRENGTH: Readonly<Record<StopKind, number>> = { handed_back: 1, cancelled: 2, lease_lost: 3 };

/**
 * One attempt's stop: a signal its commands listen to, aborted at the first request, and
 * the reason that decides what is recorded. Requests are idempotent: asking again, or for
 * a weaker reason, changes nothing.
 */
export class AttemptStop {
  private readonly controller = new AbortController();
  private current: StopReason | undefined;
  private settled = false;

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Undefined while the attempt runs (or ran) to its own end. */
  get reason(): StopReason | undefined {
    return this.current;
  }

  request(reason: StopReason): void {
    // An attempt whose commands already ended has nothing to hand back; its result stands.
    if (reason.kind === 'handed_back' && this.settled) return;
    if (this.current && STRENGTH[this.current.kind] >= STRENGTH[reason.kind]) return;
    this.current = reason;
    abortQuietly(this.controller);
  }

  /** The commands ended: from now on only the heartbeat's last answer (cancel, lost lease) counts. */
  settle(): void {
    this.settled = true;
  }
}
