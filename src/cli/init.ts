import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { initUpdateRepo } from '../drivers/repo/layout.js';
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
      io.out('next: edit sluice.yaml, then "sluice check FILE" or "sluice targets list"\n');
      setStatus(EXIT.ok);
    });
}
