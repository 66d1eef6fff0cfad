import type { Command } from 'commander';
import { waiverStanding } from '../core/waivers.js';
import { loadConfig } from './config-loader.js';
import { EXIT } from './exit.js';
import type { Io } from './io.js';
import { withStore } from './store-access.js';

export function registerWaivers(program: Command, io: Io, setStatus: (s: number) => void): void {
  program.command('waivers')
    .description('the waivers given (active, expired and revoked), newest first')
    .option('--update <id>', 'only those of one update')
    .option('--json', 'print JSON')
    .option('--config <file>', 'configuration file')
    .action(async (opts: { update?: string; json?: boolean; config?: string }) => setStatus(await list(io, opts)));
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

async function list(io: Io, opts: { update?: string; json?: boolean; config?: string }): Promise<number> {
  const loaded = loadConfig(io, opts.config);
  return withStore(loaded, io, async (store) => {
    const now = io.now();
    const waivers = await store.listWaivers(opts.update === undefined ? {} : { updateId: opts.update });
    if (opts.json) {
      io.out(`${JSON.stringify(waivers.map((w) => ({ ...w, standing: waiverStanding(w, now) })), null, 2)}\n`);
      return EXIT.ok;
    }
    if (waivers.length === 0) io.out(`no waivers${opts.update ? ` of ${opts.update}` : ''}\n`);
    for (const w of waivers) {
      const standing = waiverStanding(w, now);
      const end = standing === 'revoked' ? `revoked ${day(w.revokedAt ?? 0)} by ${w.revokedBy ?? '?'}: ${w.revokeReason ?? ''}` : `${standing === 'active' ? 'until' : 'expired'} ${day(w.expiresAt)}`;
      io.out(`${w.id}  ${w.updateId} ${w.target}${w.test ? ` test ${w.test}` : ''}  content ${w.contentHash.slice(0, 12)}  ${standing}  by ${w.by} ${day(w.createdAt)}: ${w.reason}  (${end})\n`);
    }
    return EXIT.ok;
  });
}
