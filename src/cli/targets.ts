import type { Command } from 'commander';
import { parseDuration } from '../core/duration.js';
import { BASELINE_CONTENT } from '../pipelines/images/images.js';
import { loadConfig } from './config-loader.js';
import { CliExit, EXIT } from './exit.js';
import type { Io } from './io.js';
import { whoAmI, withStore } from './store-access.js';

export function registerTargets(program: Command, io: Io, setStatus: (s: number) => void): void {
  const targets = program.command('targets').description('list the targets; disable a red one with its reason, enable it again');
  targets.command('list')
    .description('the configured targets, and why and since when a disabled one is red')
    .option('--json', 'print JSON')
    .option('--config <file>', 'configuration file')
    .action(async (opts: { json?: boolean; config?: string }) => setStatus(await list(io, opts)));
  targets.command('disable')
    .description('mark a target red: pipelines skip it and show the reason')
    .argument('<target>', 'release/dist, e.g. kilo/epel-7')
    .requiredOption('--reason <text>', 'why it is red (shown wherever it is skipped)')
    .option('--until <when>', 'lapse by itself after a duration (12h, 2d) or at an ISO time')
    .option('--by <who>', 'who disables it (default: $SLUICE_USER or the login name)')
    .option('--config <file>', 'configuration file')
    .action(async (target: string, opts: { reason: string; until?: string; by?: string; config?: string }) => setStatus(await disable(io, target, opts)));
  targets.command('enable')
    .description('mark a disabled target green again')
    .argument('<target>', 'release/dist')
    .option('--by <who>', 'who enables it')
    .option('--config <file>', 'configuration file')
    .action(async (target: string, opts: { by?: string; config?: string }) => setStatus(await enable(io, target, opts)));
}

async function list(io: Io, opts: { json?: boolean; config?: string }): Promise<number> {
  const loaded = loadConfig(io, opts.config);
  const now = io.now();
  const [states, baselines] = await withStore(loaded, io, async (store) => [
    await store.listTargetStates(now),
    new Map(await Promise.all(Object.keys(loaded.config.targets).map(async (t) => [t, await store.latestBaseline(t, BASELINE_CONTENT)] as const))),
  ] as const);
  const byTarget = new Map(states.flatMap((s) => (s.disabled ? [[s.target, s] as const] : [])));
  const rows = Object.entries(loaded.config.targets).map(([target, t]) => {
    const s = byTarget.get(target);
    const b = baselines.get(target);
    return {
      target, provider: t.provider, repo: t.repo,
      state: s ? 'disabled' : 'enabled',
      ...(s ? { reason: s.reason, by: s.disabledBy, since: iso(s.disabledAt), until: s.until === null ? null : iso(s.until) } : {}),
      // A baseline whose tests partly fail: the evidence for a proposal to disable the target.
      ...(b ? { baseline: { run: b.runId, at: iso(b.recordedAt), tests: b.total, failing: b.failing } } : {}),
    };
  });
  if (opts.json) {
    io.out(`${JSON.stringify(rows, null, 2)}\n`);
    return EXIT.ok;
  }
  const width = Math.max(6, ...rows.map((r) => r.target.length));
  for (const r of rows) {
    const why = r.state === 'disabled' ? `  ${r.reason} (by ${r.by} since ${r.since}${r.until ? `, until ${r.until}` : ''})` : '';
    io.out(`${`${r.target.padEnd(width)}  ${r.state.padEnd(8)}${why}`.trimEnd()}\n`);
    if (r.baseline && r.baseline.failing.length > 0 && r.state === 'enabled') {
      io.out(`${' '.repeat(width)}  proposal: disable it? its baseline (run ${r.baseline.run}) fails ${r.baseline.failing.length} of ${r.baseline.tests} tests: ${r.baseline.failing.slice(0, 5).join(', ')}${r.baseline.failing.length > 5 ? ', ...' : ''}\n`);
    }
  }
  return EXIT.ok;
}

async function disable(io: Io, target: string, opts: { reason: string; until?: string; by?: string; config?: string }): Promise<number> {
  const loaded = loadConfig(io, opts.config);
  requireTarget(loaded.config.targets, target);
  const reason = opts.reason.trim();
  if (reason === '') throw new CliExit(EXIT.usage, '--reason must say why the target is red', 'E_USAGE');
  const now = io.now();
  const until = opts.until === undefined ? null : parseUntil(opts.until, now);
  const by = opts.by ?? whoAmI(io);
  const result = await withStore(loaded, io, (store) => store.disableTarget({ target, reason, by, now, until }));
  if (!result.ok) throw new CliExit(EXIT.usage, `--until must be later than now`, 'E_USAGE');
  io.out(`${target} disabled: ${reason}${until === null ? '' : ` (until ${iso(until)})`}\n`);
  return EXIT.ok;
}

async function enable(io: Io, target: string, opts: { by?: string; config?: string }): Promise<number> {
  const loaded = loadConfig(io, opts.config);
  requireTarget(loaded.config.targets, target);
  const now = io.now();
  const result = await withStore(loaded, io, (store) => store.enableTarget({ target, by: opts.by ?? whoAmI(io), now }));
  if (!result.ok) throw new CliExit(EXIT.failed, `${target} is not disabled`, 'E_TARGET_NOT_DISABLED');
  io.out(`${target} enabled\n`);
  return EXIT.ok;
}

function requireTarget(targets: Record<string, unknown>, target: string): void {
  if (!(target in targets)) {
    throw new CliExit(EXIT.failed, `unknown target "${target}" (configured: ${Object.keys(targets).join(', ')})`, 'E_TARGET_NOT_CONFIGURED');
  }
}

/** `12h` from now, or an ISO 8601 time; in the past is a mistake worth refusing. */
function parseUntil(text: string, now: number): number {
  const ms = parseDuration(text);
  const at = ms !== undefined ? now + ms : Date.parse(text);
  if (Number.isNaN(at)) throw new CliExit(EXIT.usage, `--until "${text}" is neither a duration (12h, 2d) nor an ISO time`, 'E_USAGE');
  if (at <= now) throw new CliExit(EXIT.usage, `--until "${text}" is in the past`, 'E_USAGE');
  return at;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
