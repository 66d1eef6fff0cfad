import { lastEventOf } from '../../engine/schedule-log.js';
import type { Store } from '../../store/index.js';

/**
 * "log pruned on 2026-12-07" when retention deleted the logs of the job's run, else
 * undefined: what the dashboard and `sluice logs` say in place of a missing file. A run is
 * pruned only once finished and reported, so its `logs.pruned` event is its last.
 */
export async function prunedLogNote(store: Pick<Store, 'listEvents'>, runId: string): Promise<string | undefined> {
  const last = await lastEventOf(store, runId);
  if (last?.kind !== 'logs.pruned') return undefined;
  return `log pruned on ${new Date(last.at).toISOString().slice(0, 10)} (retention, docs/retention.md)`;
}
