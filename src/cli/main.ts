import { Command, CommanderError } from 'commander';
import { CliExit, EXIT } from './exit.js';
import { processIo, type Io } from './io.js';

type Register = (program: Command, io: Io, setStatus: (s: number) => void) => void;

/**
 * One registry of commands (STYLE.md: one file per command), each module loaded only when
 * its command runs: `sluice status` need not load the web server, Gerrit or the engine.
 * The key is the command's name, as its module registers it (a test checks they agree).
 */
export const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  check: async () => (await import('./check.js')).registerCheck,
  submit: async () => (await import('./submit.js')).registerSubmit,
  phase2: async () => (await import('./phase2.js')).registerPhase2,
  promote: async () => (await import('./promote.js')).registerPromote,
  status: async () => (await import('./status.js')).registerStatus,
  logs: async () => (await import('./logs.js')).registerLogs,
  excerpt: async () => (await import('./excerpt.js')).registerExcerpt,
  cancel: async () => (await import('./cancel.js')).registerCancel,
  approve: async () => (await import('./approve.js')).registerApprove,
  serve: async () => (await import('./serve.js')).registerServe,
  token: async () => (await import('./token.js')).registerToken,
  explain: async () => (await import('./explain.js')).registerExplain,
  rerun: async () => (await import('./rerun.js')).registerRerun,
  targets: async () => (await import('./targets.js')).registerTargets,
  nodes: async () => (await import('./nodes.js')).registerNodes,
  images: async () => (await import('./images.js')).registerImages,
  'must-provision': async () => (await import('./must-provision.js')).registerMustProvision,
  flaky: async () => (await import('./flaky.js')).registerFlaky,
  notifications: async () => (await import('./notifications.js')).registerNotifications,
  prune: async () => (await import('./prune.js')).registerPrune,
  rollback: async () => (await import('./rollback.js')).registerRollback,
  schema: async () => (await import('./schema.js')).registerSchema,
  init: async () => (await import('./init.js')).registerInit,
  demo: async () => (await import('./demo.js')).registerDemo,
  simulate: async () => (await import('./simulate.js')).registerSimulate,
  // issue 19: waivers
  waive: async () => (await import('./waive.js')).registerWaive,
  waivers: async () => (await import('./waivers.js')).registerWaivers,
};

/**
 * The program with the command `argv` names, or with every command when it names none
 * of them (help, --version, a mistyped name: commander then lists or suggests them all).
 */
export async function buildProgram(io: Io, setStatus: (s: number) => void, argv: readonly string[] = []): Promise<Command> {
  const program = new Command('sluice')
    .description('Sluice: a gating CI for distribution package updates')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError('(run "sluice help" for the commands)')
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
      // A usage error reads like every other error of Sluice: `sluice: MESSAGE` (exit 2).
      outputError: (s, write) => write(`sluice: ${s.replace(/^error: /, '')}`),
    });
  const named = argv[0] !== undefined && Object.hasOwn(COMMANDS, argv[0]) ? argv[0] : undefined;
  const loaders = named === undefined ? Object.values(COMMANDS) : [COMMANDS[named] as () => Promise<Register>];
  for (const register of await Promise.all(loaders.map((load) => load()))) register(program, io, setStatus);
  for (const sub of program.commands) sub.exitOverride();
  return program;
}

/** Runs the command line and returns the exit status; never throws, never prints a stack for bad input. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  let status: number = EXIT.ok;
  try {
    const program = await buildProgram(io, (s) => { status = s; }, argv);
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
