import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { shellQuote } from './shell-quote.js';
import type { Command } from 'commander';
import { initUpdateRepo } from '../drivers/repo/index.js';
import { DEFAULT_CONFIG } from './config-loader.js';
import { CliExit, EXIT } from './exit.js';
import { STARTER_CONFIG } from './init-template.js';
import type { Io } from './io.js';

export function registerInit(program: Command, io: Io, setStatus: (s: number) => void): void {
  program.command('init')
    .description('write a commented starter sluice.yaml and an empty update repository')
    .argument('[dir]', 'directory to set up', '.')
    .option('--force', 'overwrite an existing sluice.yaml')
    .action(async (dir: string, opts: { force?: boolean }) => {
      const root = resolve(io.cwd, dir);
      mkdirSync(root, { recursive: true });
      const configPath = resolve(root, DEFAULT_CONFIG);
      if (existsSync(configPath) && !opts.force) {
        throw new CliExit(EXIT.failed, `${configPath} exists already: pass --force to overwrite it`, 'E_EXISTS');
      }
      writeFileSync(configPath, STARTER_CONFIG);
      const repo = await initUpdateRepo(resolve(root, 'update-repo'));
      io.out(`wrote ${configPath}\n${repo === 'created' ? 'created' : 'kept existing'} update repository ${resolve(root, 'update-repo')}\n`);
      // Commands that work as printed, from where `sluice init` ran.
      const cd = relative(io.cwd, root);
      io.out(`next: edit ${cd === '' ? '' : `${cd}/`}sluice.yaml (releases, dists, targets, tests: docs/configuration.md), then:\n`);
      if (cd !== '') io.out(`  cd ${shellQuote(cd)}\n`);
      io.out('  sluice targets list    # the targets it defines\n');
      io.out('  sluice status          # the runs (none yet); `sluice submit FILE.yml` starts phase1 for an update file\n');
      setStatus(EXIT.ok);
    });
}
