import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_MAX_LINES, excerptFile, excerptText, MAX_MAX_LINES, referenceFromFile, type Excerpt, type ReferenceLog } from '../analysis/excerpt.js';
import { classifyInfra, type InfraVerdict } from '../analysis/infra.js';
import { parseJunit, TestResultsError } from '../analysis/junit.js';
import { excerptHeading, renderExcerpt } from '../analysis/render-excerpt.js';
import { sniffFile, sniffKind, type ResultsKind } from '../analysis/sniff.js';
import { parseSubunit, readSubunitFile, type SubunitParse } from '../analysis/subunit-results.js';
import { countByStatus, isFailure, summarizeTests, testReport, type TestResult } from '../analysis/test-result.js';
import { CliExit, EXIT } from './exit.js';
import type { Io } from './io.js';

interface ExcerptOptions { json?: boolean; maxLines?: string; baseline?: string }
type Source = { readonly stdin: Uint8Array } | { readonly path: string };

export function registerExcerpt(program: Command, io: Io, setStatus: (s: number) => void): void {
  program.command('excerpt')
    .description('the lines of a log that explain its failure; for JUnit XML or a subunit v2 stream, the tests that failed')
    .argument('<file>', 'a log, a JUnit XML file or a subunit v2 stream, told apart by content (- for standard input)')
    .option('--json', 'print JSON: the numbered lines, or the test results')
    .option('--max-lines <n>', `lines of the log to show (default ${DEFAULT_MAX_LINES}, at most ${MAX_MAX_LINES})`)
    .option('--baseline <log>', 'a passing log of the same job: lines it also has (numbers, hashes and temporary names aside) are left out as noise')
    .action(async (file: string, opts: ExcerptOptions) => setStatus(await excerpt(io, file, opts)));
}

async function excerpt(io: Io, file: string, opts: ExcerptOptions): Promise<number> {
  const maxLines = opts.maxLines === undefined ? DEFAULT_MAX_LINES : Number(opts.maxLines);
  if (!Number.isInteger(maxLines) || maxLines < 1 || maxLines > MAX_MAX_LINES) {
    throw new CliExit(EXIT.usage, `--max-lines must be a whole number from 1 to ${MAX_MAX_LINES}, not "${opts.maxLines}"`, 'E_USAGE');
  }
  const source: Source = file === '-' ? { stdin: io.readStdin() } : { path: resolve(io.cwd, file) };
  let kind: ResultsKind;
  try {
    kind = 'stdin' in source ? sniffKind(source.stdin) : sniffFile(source.path);
  } catch (e) {
    throw new CliExit(EXIT.failed, `cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, 'E_FILE_UNREADABLE');
  }
  if (kind === 'log') {
    const reference = opts.baseline === undefined ? undefined : await readReference(io, opts.baseline);
    const options = { maxLines, ...(reference ? { reference } : {}) };
    const e = 'stdin' in source ? excerptText(new TextDecoder().decode(source.stdin), options) : await excerptFile(source.path, options);
    printLog(io, file, e, classifyInfra(e.lines), opts.json === true);
  } else {
    const parsed = await readResults(kind, source, file);
    printResults(io, file, kind, parsed, opts.json === true);
  }
  return EXIT.ok;
}

async function readReference(io: Io, file: string): Promise<ReferenceLog> {
  try {
    return await referenceFromFile(resolve(io.cwd, file), file);
  } catch (e) {
    throw new CliExit(EXIT.failed, `cannot read the baseline log ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, 'E_FILE_UNREADABLE');
  }
}

async function readResults(kind: 'junit' | 'subunit', source: Source, file: string): Promise<SubunitParse> {
  try {
    if (kind === 'subunit') return 'stdin' in source ? parseSubunit(source.stdin) : await readSubunitFile(source.path);
    const xml = 'stdin' in source ? new TextDecoder().decode(source.stdin) : readFileSync(source.path, 'utf8');
    return { results: parseJunit(xml), problems: [] };
  } catch (e) {
    if (e instanceof TestResultsError) throw new CliExit(EXIT.failed, `${file}: ${e.message}`, 'E_FILE_UNREADABLE');
    throw e;
  }
}

function printLog(io: Io, file: string, e: Excerpt, infra: InfraVerdict, json: boolean): void {
  if (json) {
    io.out(`${JSON.stringify({ file, kind: 'log', ...e, infra: infra.infra ? infra.match : null }, null, 2)}\n`);
    return;
  }
  io.out(`${file}: ${excerptHeading(e)}\n`);
  for (const l of renderExcerpt(e, { numbers: true })) io.out(`${l}\n`);
  if (infra.infra) io.out(`infrastructure failure? ${infra.match.description} (line ${infra.match.line.n}, rule ${infra.match.rule})\n`);
}

function printResults(io: Io, file: string, kind: 'junit' | 'subunit', parsed: SubunitParse, json: boolean): void {
  const { results, problems } = parsed;
  if (json) {
    const failures: TestResult[] = results.filter(isFailure);
    io.out(`${JSON.stringify({ file, kind, summary: summarizeTests(results), counts: countByStatus(results), failures, problems }, null, 2)}\n`);
    return;
  }
  io.out(`${file} (${kind === 'junit' ? 'JUnit XML' : 'subunit v2'}): `);
  for (const l of testReport(results)) io.out(`${l}\n`);
  for (const p of problems) io.err(`${file}: ${p}\n`);
}
