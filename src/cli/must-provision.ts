import type { Command } from 'commander';
import { isSafeName, NAME_RULE } from '../core/names.js';
import { loadConfig } from './config-loader.js';
import { CliExit, EXIT } from './exit.js';
import type { Io } from './io.js';
import { whoAmI, withStore } from './store-access.js';

interface ChangeOptions { reason: string; by?: string; config?: string }

export function registerMustProvision(program: Command, io: Io, setStatus: (s: number) => void): void {
  const cmd = program.command('must-provision').description('the packages used while provisioning: an update touching one is never tested on an image');
  cmd.command('list')
    .description('the list: from sluice.yaml, and added by operators (who, when, why)')
    .option('--json', 'print JSON')
    .option('--config <file>', 'configuration file')
    .action(async (opts: { json?: boolean; config?: string }) => setStatus(await list(io, opts)));
  cmd.command('add')
    .description('add a package: phase1 provisions from scratch for any update touching it')
    .argument('<package>', 'a package name, e.g. openstack-packstack')
    .requiredOption('--reason <text>', 'why (kept in the audit trail)')
    .option('--by <who>', 'who adds it (default: $SLUICE_USER or the login name)')
    .option('--config <file>', 'configuration file')
    .action(async (pkg: string, opts: ChangeOptions) => setStatus(await change(io, 'add', pkg, opts)));
  cmd.command('remove')
    .description('remove a package an operator added (the ones in sluice.yaml are removed there)')
    .argument('<package>', 'a package name')
    .requiredOption('--reason <text>', 'why (kept in the audit trail)')
    .option('--by <who>', 'who removes it')
    .option('--config <file>', 'configuration file')
    .action(async (pkg: string, opts: ChangeOptions) => setStatus(await change(io, 'remove', pkg, opts)));
}

async function list(io: Io, opts: { json?: boolean; config?: string }): Promise<number> {
  const loaded = loadConfig(io, opts.config);
  const added = await withStore(loaded, io, (store) => store.listMustProvision());
  const fromConfig = loaded.config.must_provision.map((p) => ({ package: p, source: 'config', file: loaded.config.file }));
  const fromStore = added.filter((a) => !loaded.config.must_provision.includes(a.package)).map((a) => ({ ...a, source: 'added' }));
  if (opts.json) { io.out(`${JSON.stringify([...fromConfig, ...fromStore], null, 2)}\n`); return EXIT.ok; }
  for (const p of fromConfig) io.out(`${p.package}  (${p.file})\n`);
  for (const a of fromStore) io.out(`${a.package}  added by ${a.addedBy} on ${new Date(a.addedAt).toISOString()}: ${a.reason}\n`);
  if (fromConfig.length + fromStore.length === 0) io.out('no must-provision package: every update with an image is tested on it\n');
  return EXIT.ok;
}

async function change(io: Io, action: 'add' | 'remove', pkg: string, opts: ChangeOptions): Promise<number> {
  if (!isSafeName(pkg)) throw new CliExit(EXIT.usage, `package "${pkg}" must be ${NAME_RULE}`, 'E_USAGE');
  if (opts.reason.trim() === '') throw new CliExit(EXIT.usage, '--reason must say why', 'E_USAGE');
  const loaded = loadConfig(io, opts.config);
  const by = opts.by ?? whoAmI(io);
  return withStore(loaded, io, async (store) => {
    const now = io.now();
    if (action === 'add') {
      if (loaded.config.must_provision.includes(pkg)) { io.out(`${pkg} is already listed in ${loaded.config.file}\n`); return EXIT.ok; }
      const r = await store.addMustProvision({ package: pkg, by, reason: opts.reason, now });
      io.out(r.ok ? `added ${pkg}\n` : `${pkg} was already added by ${r.entry.addedBy} on ${new Date(r.entry.addedAt).toISOString()}: ${r.entry.reason}\n`);
      return EXIT.ok;
    }
    if (loaded.config.must_provision.includes(pkg)) {
      throw new CliExit(EXIT.failed, `${pkg} is listed in ${loaded.config.file}: remove it there`, 'E_MUST_PROVISION_IN_CONFIG');
    }
    const r = await store.removeMustProvision({ package: pkg, by, reason: opts.reason, now });
    if (!r.ok) throw new CliExit(EXIT.failed, `${pkg} is not on the must-provision list`, 'E_NOT_FOUND');
    io.out(`removed ${pkg} (added by ${r.previous.addedBy}: ${r.previous.reason})\n`);
    return EXIT.ok;
  });
}
