import type { Command } from 'commander';
import { NOTIFICATION_STATES, type NotificationState, type NotificationWithAttempts } from '../store/index.js';
import { loadConfig } from './config-loader.js';
import { CliExit, EXIT } from './exit.js';
import type { Io } from './io.js';
import { withStore } from './store-access.js';

interface NotificationsOptions { state?: string; limit?: string; json?: boolean; config?: string }

export function registerNotifications(program: Command, io: Io, setStatus: (s: number) => void): void {
  program.command('notifications')
    .argument('[run]', 'only this run\'s notifications, each with its attempts')
    .description('what the notify: rules sent: each delivery (run, rule, recipient), its state and its last answer')
    .option('--state <state>', `only ${NOTIFICATION_STATES.join(', ')} ones`)
    .option('--limit <n>', 'at most this many, newest first (default 50)')
    .option('--json', 'print JSON')
    .option('--config <file>', 'configuration file')
    .action(async (run: string | undefined, opts: NotificationsOptions) => setStatus(await notifications(io, run, opts)));
}

async function notifications(io: Io, runId: string | undefined, opts: NotificationsOptions): Promise<number> {
  const limit = opts.limit === undefined ? 50 : Number(opts.limit);
  if (!Number.isSafeInteger(limit) || limit < 1) throw new CliExit(EXIT.usage, `--limit "${opts.limit}" is not a positive whole number`, 'E_USAGE');
  const state = opts.state;
  if (state !== undefined && !isState(state)) throw new CliExit(EXIT.usage, `--state "${state}" is not one of ${NOTIFICATION_STATES.join(', ')}`, 'E_USAGE');
  const loaded = loadConfig(io, opts.config);
  return withStore(loaded, io, async (store) => {
    const items = await store.listNotifications({ limit, ...(runId ? { runId } : {}), ...(state ? { state } : {}) });
    if (opts.json) { io.out(`${JSON.stringify(items, null, 2)}\n`); return EXIT.ok; }
    if (items.length === 0) { io.out(`no notification${runId ? ` for run ${runId}` : ''}${state ? ` ${state}` : ''}\n`); return EXIT.ok; }
    for (const line of table(items)) io.out(`${line}\n`);
    if (runId) {
      for (const n of items) {
        io.out(`\n${n.rule} → ${n.recipient} (delivery ${n.id}):\n`);
        if (n.history.length === 0) io.out('  not tried yet\n');
        for (const a of n.history) io.out(`  ${a.attempt}. ${iso(a.startedAt)} ${a.ok ? 'delivered' : 'failed'}: ${a.detail}\n`);
        if (n.state === 'pending' && n.history.length > 0) io.out(`  next attempt ${iso(n.nextAttemptAt)}\n`);
      }
    }
    return EXIT.ok;
  });
}

function isState(s: string): s is NotificationState {
  return (NOTIFICATION_STATES as readonly string[]).includes(s);
}

function iso(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** One aligned line per delivery: run, rule, recipient, state, attempts, the last answer. */
function table(items: readonly NotificationWithAttempts[]): string[] {
  const rows = items.map((n) => [n.runId, n.rule, n.recipient, n.state, `${n.attempts}/${n.maxAttempts}`, n.history[n.history.length - 1]?.detail ?? 'not tried yet']);
  const head = ['RUN', 'RULE', 'RECIPIENT', 'STATE', 'ATTEMPTS', 'LAST ANSWER'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)];
}
