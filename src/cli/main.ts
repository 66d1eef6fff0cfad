import { Command, CommanderError } from 'commander';
import { registerCancel } from './cancel.js';
import { registerCheck } from './check.js';
import { registerDemo } from './demo.js';
import { registerExcerpt } from './excerpt.js';
import { registerExplain } from './explain.js';
import { CliExit, EXIT } from './exit.js';
import { registerFlaky } from './flaky.js';
import { registerImages } from './images.js';
import { registerInit } from './init.js';
import { registerMustProvision } from './must-provision.js';
import { registerNodes } from './nodes.js';
import { registerLogs } from './logs.js';
import { processIo, type Io } from './io.js';
import { registerPhase2 } from './phase2.js';
import { registerPromote } from './promote.js';
import { registerRerun } from './rerun.js';
import { registerSchema } from './schema.js';
import { registerServe } from './serve.js';
import { registerSimulate } from './simulate.js';
import { registerStatus } from './status.js';
import { registerSubmit } from './submit.js';
import { registerTargets } from './targets.js';

/** One registry of commands (STYLE.md: one file per command). */
const COMMANDS = [
  registerCheck, registerSubmit, registerPhase2, registerPromote, registerStatus, registerLogs, registerExcerpt, registerCancel, registerServe, registerExplain, registerRerun,
  registerTargets, registerNodes, registerImages, registerMustProvision, registerFlaky, registerSchema, registerInit, registerDemo, registerSimulate,
] as const;

export function buildProgram(io: Io, setStatus: (s: number) => void): Command {
  const program = new Command('sluice')
    .description('Sluice: a gating CI for distribution package updates')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError('(run "sluice help" for the commands)')
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  for (const register of COMMANDS) register(program, io, setStatus);
  for (const sub of program.commands) sub.exitOverride();
  return program;
}

/** Runs the command line and returns the exit status; never throws, never prints a stack for bad input. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  let status: number = EXIT.ok;
  const program = buildProgram(io, (s) => { status = s; });
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return EXIT.usage;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return status;
  } catch (e) {
    if (e instanceof CliExit) {
      io.err(`sluice: ${e.message}\n`);
      return e.status;
    }
    if (e instanceof CommanderError) {
      // help and --version end "with an error" in commander's terms, but succeed in ours.
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    io.err(`sluice: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return EXIT.error;
  }
}
