import { NAME_RULE } from '../core/names.js';
import type { Command } from 'commander';
import type { Config } from '../core/config.js';
import { byPosition, formatPath, formatProblem, hasErrors, type Problem } from '../core/problem.js';
import type { TargetDisable } from '../core/target-state.js';
import { parseUpdateBytes, updateIdFromPath } from '../core/update-file.js';
import { targetProblemsOfBrokenFile } from './check-targets.js';
import { updateSummary, topicMatches } from '../core/update-summary.js';
import { updateTargets } from '../core/update-targets.js';
import { findConfig } from './config-loader.js';
import { EXIT, CliExit } from './exit.js';
import type { Io } from './io.js';
import { readInput } from './read-input.js';
import { readDisabledTargets } from './store-access.js';

interface CheckOptions { json?: boolean; topic?: string; config?: string; targets?: boolean }

interface FileReport {
  file: string;
  valid: boolean;
  id?: string | undefined;
  summary?: string;
  targets?: string[];
  problems: Problem[];
}

export function registerCheck(program: Command, io: Io, setStatus: (s: number) => void): void {
  program.command('check')
    .description('validate update files: FILE:LINE:COL: message per problem; exit 0 valid, 1 invalid, 2 usage')
    .argument('<files...>', 'update files (- for standard input)')
    .option('--json', 'print a JSON report')
    .option('--topic <topic>', 'also check that a Gerrit topic names the update\'s releases and dists (one file)')
    .option('--no-targets', 'do not check targets against the configuration')
    .option('--config <file>', 'configuration file (default: sluice.yaml if present)')
    .action(async (files: string[], opts: CheckOptions) => setStatus(await check(io, files, opts)));
}

export async function check(io: Io, files: string[], opts: CheckOptions): Promise<number> {
  if (opts.topic !== undefined && files.length !== 1) throw new CliExit(EXIT.usage, '--topic checks exactly one file', 'E_USAGE');
  const loaded = opts.targets === false ? undefined : findConfig(io, opts.config);
  const disabled = loaded ? await readDisabledTargets(loaded, io) : new Map<string, TargetDisable>();
  const reports = files.map((file) => checkOne(io, file, opts, loaded?.config, disabled));
  if (opts.json) {
    io.out(`${JSON.stringify({ valid: reports.every((r) => r.valid), files: reports }, null, 2)}\n`);
  } else {
    for (const r of reports) for (const p of r.problems) io.out(`${formatProblem(p)}\n`);
    const invalid = reports.filter((r) => !r.valid).length;
    io.err(`${files.length} file${files.length === 1 ? '' : 's'} checked, ${invalid} invalid${loaded ? ` (targets checked against ${loaded.config.file})` : ''}\n`);
  }
  return reports.every((r) => r.valid) ? EXIT.ok : EXIT.failed;
}

/** submit and Gerrit take the update's identity from its file name: check refuses what they would. */
function identityProblems(file: string, shown: string): Problem[] {
  if (file === '-' || updateIdFromPath(file) !== undefined) return [];
  return [{ severity: 'error', code: 'E_UPDATE_INVALID', file: shown, line: 1, col: 1, path: '', message: `the file name is the update's identity: name it <id>.yml, the id ${NAME_RULE} (e.g. updates/hkvc.yml)` }];
}

function checkOne(io: Io, file: string, opts: CheckOptions, config: Config | undefined, disabled: ReadonlyMap<string, TargetDisable>): FileReport {
  const shown = file === '-' ? '<stdin>' : file;
  const input = readInput(io, file);
  if (!input.ok) {
    return { file: shown, valid: false, problems: [{ severity: 'error', code: 'E_FILE_UNREADABLE', file: shown, line: 1, col: 1, path: '', message: input.message }] };
  }
  const parsed = parseUpdateBytes(input.bytes, shown);
  if (!parsed.ok) {
    const against = config ? targetProblemsOfBrokenFile(input.bytes, shown, config, disabled, parsed.problems) : [];
    return { file: shown, valid: false, problems: [...parsed.problems, ...against, ...identityProblems(file, shown)].sort(byPosition) };
  }
  const { update, locate } = parsed;
  const problems: Problem[] = [...parsed.warnings];
  problems.push(...identityProblems(file, shown));
  let targets: string[] | undefined;
  if (config) {
    const resolved = updateTargets(update.builds, config, disabled);
    targets = [...resolved.targets.keys()];
    for (const issue of resolved.issues) {
      const { line, col } = locate(issue.path);
      problems.push({ severity: issue.severity, code: issue.code, file: shown, line, col, path: formatPath(issue.path), message: issue.message });
    }
  }
  if (opts.topic !== undefined && !topicMatches(opts.topic, update.builds)) {
    problems.push({ severity: 'error', code: 'E_TOPIC_MISMATCH', file: shown, line: 1, col: 1, path: '', message: `topic "${opts.topic}" does not match the update: expected "${updateSummary(update.builds)}" (a release's dists in any order)` });
  }
  problems.sort(byPosition);
  return { file: shown, valid: !hasErrors(problems), id: update.id, summary: update.summary, ...(targets ? { targets } : {}), problems };
}
