import pg from 'pg';

import { WAKE_CHANNEL, type WakeHint } from './wake-hint.js';

export type Unsubscribe = () => Promise<void>;

/** Listens on a dedicated connection (LISTEN cannot share a pooled one). */
export async function listenPostgres(url: string, onWake: (hint: WakeHint) => void): Promise<Unsubscribe> {
  const client = new pg.Client({ connectionString: url });
  // A broken listener connection only loses hints; polling goes on. Never crash for it.
  client.on('error', () => {});
  client.on('notification', (n) => { if (n.channel === WAKE_CHANNEL) onWake(n.payload === 'freed' ? 'freed' : 'work'); });
  await client.connect();
  await client.query(`LISTEN ${WAKE_CHANNEL}`);
  return async () => { await client.end().catch(() => {}); };
}
