import pg from 'pg';

/**
 * Wake-ups across processes on PostgreSQL: a transition that makes work (a new run, a
 * requeued job, a finished run to report) NOTIFYs this channel at commit, and every
 * listening worker looks for work at once instead of at its next poll. Only a hint: a
 * lost notification costs one poll interval, never correctness.
 */
export const WAKE_CHANNEL = 'sluice_wake';

export type Unsubscribe = () => Promise<void>;

/** Listens on a dedicated connection (LISTEN cannot share a pooled one). */
export async function listenPostgres(url: string, onWake: () => void): Promise<Unsubscribe> {
  const client = new pg.Client({ connectionString: url });
  // A broken listener connection only loses hints; polling goes on. Never crash for it.
  client.on('error', () => {});
  client.on('notification', (n) => { if (n.channel === WAKE_CHANNEL) onWake(); });
  await client.connect();
  await client.query(`LISTEN ${WAKE_CHANNEL}`);
  return async () => { await client.end().catch(() => {}); };
}
