import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { DEMO_UPDATES } from './demo-updates.js';
import { EXIT } from './exit.js';
import type { Io } from './io.js';
import { main } from './main.js';

/**
 * `sluice demo`: a self-contained tour on embedded defaults (SQLite, local files) in a new
 * temporary directory. It runs the real commands, so what it prints is what they do.
 */
export function registerDemo(program: Command, io: Io, setStatus: (s: number) => void): void {
  program.command('demo')
    .description('set up a temporary Sluice site with example updates and show what it does')
    .option('--dir <dir>', 'use this directory instead of a new temporary one')
    .action(async (opts: { dir?: string }) => setStatus(await demo(io, opts.dir)));
}

async function demo(io: Io, dir: string | undefined): Promise<number> {
  const root = dir ?? mkdtempSync(join(tmpdir(), 'sluice-demo-'));
  mkdirSync(root, { recursive: true });
  const here: Io = { ...io, cwd: root, env: { ...io.env, SLUICE_USER: io.env.SLUICE_USER ?? 'demo' } };
  const step = async (title: string, args: string[]): Promise<number> => {
    io.out(`\n$ sluice ${args.join(' ')}        # ${title}\n`);
    return main(args, here);
  };
  io.out(`Sluice demo in ${root}\n`);
  if (await step('a commented sluice.yaml and an empty update repository', ['init']) !== EXIT.ok) return EXIT.error;
  for (const [path, text] of Object.entries(DEMO_UPDATES)) {
    mkdirSync(dirname(join(root, 'submitted', path)), { recursive: true });
    writeFileSync(join(root, 'submitted', path), text);
  }
  await step('a known-red target: pipelines skip it and show why', ['targets', 'disable', 'kilo/fedora-22', '--reason', 'Fedora 22 mirror out of sync', '--until', '2d']);
  await step('the targets, and why one is red', ['targets', 'list']);
  const files = Object.keys(DEMO_UPDATES).map((p) => join('submitted', p));
  const checked = await step('validate update files against the config: one is broken on purpose', ['check', ...files]);
  await step('the Gerrit topic rdopkg gives an update, checked against its file', ['check', '--topic', 'kilo_el7_f22', files[0] as string]);
  io.out(`\nEverything is in ${root}: sluice.yaml, update-repo/, submitted/, .sluice/sluice.db\n`);
  return checked === EXIT.failed ? EXIT.ok : EXIT.error;
}
