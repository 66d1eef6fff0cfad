import { repositoryUnavailable, runDnf } from '../rpm/dnf.js';
import { makeRepository } from '../rpm/repository.js';
import { nevra } from '../rpm/rpm-query.js';
import { infra, message, summarize, type CheckInput, type CheckResult } from './check.js';
import { productionRepo } from './production.js';
import { binaryHeaders } from './update-packages.js';

export interface Unsatisfied {
  /** The package that needs it, as dnf names it: `foo-2.0-1.noarch`. */
  readonly package: string;
  /** The dependency nothing provides: `bar >= 2.0`. */
  readonly unsatisfied: string;
}

export type DnfVerdict =
  | { readonly kind: 'resolved' }
  | { readonly kind: 'unresolvable'; readonly unsatisfied: readonly Unsatisfied[]; readonly problems: readonly string[] }
  | { readonly kind: 'unreadable'; readonly reason: string };

// Lines dnf prints under every problem with `best`: they say nothing about which package.
const GENERIC = new Set(['cannot install the best candidate for the job', 'conflicting requests']);

/** Reads `dnf --assumeno install` output: dnf exits 1 both when it resolved and when it could not. */
export function parseDnfInstall(output: string): DnfVerdict {
  if (repositoryUnavailable(output)) return { kind: 'unreadable', reason: 'a repository could not be read' };
  const problems: string[] = [];
  const unsatisfied: Unsatisfied[] = [];
  let inProblem = false;
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    if (/^Problem( \d+)?:/.test(line)) { inProblem = true; continue; }
    const text = inProblem ? /^- (.+)$/.exec(line)?.[1] : undefined;
    if (text === undefined) continue;
    if (GENERIC.has(text) || problems.includes(text)) continue;
    problems.push(text);
    const m = /^nothing provides (.+) needed by (\S+)/.exec(text);
    if (m?.[1] && m[2]) unsatisfied.push({ package: m[2], unsatisfied: m[1] });
  }
  if (problems.length > 0) return { kind: 'unresolvable', unsatisfied, problems };
  if (/^Dependencies resolved\./m.test(output)) return { kind: 'resolved' };
  const error = /^Error: (.+)$/m.exec(output)?.[1];
  return { kind: 'unreadable', reason: error ? `dnf: ${error}` : 'dnf neither resolved the transaction nor named a problem' };
}

/**
 * The update's packages install together on the target, with its production repository:
 * dnf resolves the transaction in a throwaway installroot and stops before installing.
 */
export async function installable(input: CheckInput): Promise<CheckResult & { readonly unsatisfied: readonly Unsatisfied[] }> {
  const none = { unsatisfied: [] as Unsatisfied[] };
  let log = '';
  try {
    const packages = await binaryHeaders(input.rpms, input);
    if (packages.length === 0) return { ...none, status: 'pass', summary: 'no binary package to install', problems: [], log };
    const update = await makeRepository(packages.map((p) => p.path), input.cacheDir, input);
    const production = await productionRepo(input);
    const names = packages.map((p) => nevra(p.header));
    const run = await runDnf([{ id: 'update', location: update.path }, production],
      ['--setopt=best=True', '--setopt=strict=True', '--assumeno', 'install', ...names], input);
    log = `${run.stdout}${run.stderr}`;
    if (run.kind === 'not_run') return { ...none, ...infra(`dnf did not run: ${run.message}`, `${log}\n${run.message}`) };
    const verdict = parseDnfInstall(log);
    if (verdict.kind === 'resolved') {
      return { ...none, status: 'pass', summary: `${names.length} package${names.length === 1 ? '' : 's'} install with production: ${names.join(' ')}`, problems: [], log };
    }
    if (verdict.kind === 'unreadable') return { ...none, ...infra(`installable could not be checked: ${verdict.reason}`, log) };
    const { unsatisfied, problems } = verdict;
    const summary = unsatisfied.length === problems.length
      ? summarize(problems.length, 'unsatisfied dependency', 'unsatisfied dependencies', problems)
      : summarize(problems.length, 'installation problem', 'installation problems', problems);
    return { status: 'failure', summary, problems, log, unsatisfied };
  } catch (e) {
    return { ...none, ...infra(`installable could not be checked: ${message(e)}`, `${log}${message(e)}`) };
  }
}
