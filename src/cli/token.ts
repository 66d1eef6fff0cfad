import { appendFileSync, existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { isPersonName, newToken, parseRoles, parseTokenFile, PERSON_RULE, tokenHash, tokenLine, TokenFileError, ROLES } from '../web/tokens.js';
import { loadConfig } from './config-loader.js';
import { CliExit, EXIT } from './exit.js';
import type { Io } from './io.js';
import { whoAmI } from './store-access.js';

interface FileOptions { file?: string; config?: string }

export function registerToken(program: Command, io: Io, setStatus: (s: number) => void): void {
  const token = program.command('token').description('named API tokens of the dashboard and HTTP API: make one for a person with roles, list them');
  token.command('add')
    .description(`make a token for a person with roles (${ROLES.join(', ')}): prints it once, appends its hash to the token file`)
    .argument('<person>', `who holds it: ${PERSON_RULE}`)
    .requiredOption('--roles <roles>', `comma-separated: ${ROLES.join(', ')}; none for a token that only reads`)
    .option('--file <file>', 'the token file (default: web.token_file of the configuration)')
    .option('--stdin', 'hash the token read from standard input instead of making one (to carry an old bare token over)')
    .option('--config <file>', 'configuration file')
    .action(async (person: string, opts: FileOptions & { roles: string; stdin?: boolean }) => setStatus(add(io, person, opts)));
  token.command('list')
    .description('the people, roles and hash prefixes of the token file (never a token)')
    .option('--file <file>', 'the token file (default: web.token_file of the configuration)')
    .option('--config <file>', 'configuration file')
    .action(async (opts: FileOptions) => setStatus(list(io, opts)));
}

/** `--file`, else `web.token_file` as the configuration names it (relative to the config file). */
function tokenFileOf(io: Io, opts: FileOptions): string {
  if (opts.file !== undefined) return resolve(io.cwd, opts.file);
  const loaded = loadConfig(io, opts.config);
  const named = loaded.config.web.token_file;
  if (named === undefined) throw new CliExit(EXIT.usage, `${loaded.config.file}: web.token_file is not set: set it (e.g. token_file: tokens) or pass --file FILE`, 'E_USAGE');
  return loaded.resolvePath(named);
}

/** The file's entries; `add` steps over bare tokens of the old format, so they can be carried over in place. */
function readEntries(file: string, skipBare: boolean) {
  if (!existsSync(file)) return { text: '', entries: [] };
  const text = readFileSync(file, 'utf8');
  try {
    return { text, entries: parseTokenFile(text, file, { skipBare }) };
  } catch (e) {
    if (e instanceof TokenFileError) throw new CliExit(EXIT.usage, e.message, 'E_CONFIG_INVALID');
    throw e;
  }
}

function add(io: Io, person: string, opts: FileOptions & { roles: string; stdin?: boolean }): number {
  if (!isPersonName(person)) throw new CliExit(EXIT.usage, `person "${person}" must be ${PERSON_RULE}`, 'E_USAGE');
  const roles = parseRoles(opts.roles);
  if (!roles.ok) throw new CliExit(EXIT.usage, `--roles: ${roles.why}`, 'E_USAGE');
  const file = tokenFileOf(io, opts);
  const { text, entries } = readEntries(file, true);
  const token = opts.stdin ? new TextDecoder().decode(io.readStdin()).trim() : newToken();
  if (opts.stdin && (token === '' || /\s/.test(token))) throw new CliExit(EXIT.usage, '--stdin: standard input must hold one token, without spaces', 'E_USAGE');
  const same = entries.find((e) => e.hash === tokenHash(token));
  if (same) throw new CliExit(EXIT.usage, `${same.source}: this token is there already (${same.person})`, 'E_USAGE');
  // Made private (0600) when new: the hashes are not secrets, but nobody else need read who holds what.
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  const day = new Date(io.now()).toISOString().slice(0, 10);
  appendFileSync(file, `${text !== '' && !text.endsWith('\n') ? '\n' : ''}${tokenLine(person, roles.roles, token)}  # added ${day} by ${whoAmI(io)}\n`);
  if (!opts.stdin) io.out(`${token}\n`);
  io.err(`sluice token: ${opts.stdin ? 'the token read' : 'this token'} for ${person} (${roles.roles.join(', ') || 'no role: it only reads'}) is in ${file} as its SHA-256 only${opts.stdin ? '' : ': it is shown this once, so keep it now'}. A running sluice serve rereads the file on SIGHUP.\n`);
  return EXIT.ok;
}

function list(io: Io, opts: FileOptions): number {
  const file = tokenFileOf(io, opts);
  const { entries } = readEntries(file, false);
  if (entries.length === 0) io.err(`sluice token: no token in ${file}\n`);
  const width = Math.max(6, ...entries.map((e) => e.person.length));
  for (const e of entries) io.out(`${e.person.padEnd(width)}  ${(e.roles.join(',') || '-').padEnd(24)}  sha256:${e.hash.slice(0, 12)}…  ${e.source}\n`);
  return EXIT.ok;
}
