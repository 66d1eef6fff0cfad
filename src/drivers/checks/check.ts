/** What a built-in check is given: one update's RPMs and one target's production repository. */
export interface CheckInput {
  /** The update's RPM files, already fetched; source RPMs among them are ignored. */
  readonly rpms: readonly string[];
  /** The target's production repository: a URL (dnf reads repodata/ under it) or a local directory. */
  readonly production: string;
  /** The target's `$releasever` (e.g. `7` for epel-7), for URLs that use it. */
  readonly releasever: string;
  /** Where content-addressed repositories are kept between jobs. */
  readonly cacheDir: string;
  /** Scratch space for throwaway dnf installroots (the system temp directory by default). */
  readonly workDir?: string;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** `infra`: the check could not be made (a tool missing, a repository unreachable), never the update's fault. */
export type CheckStatus = 'pass' | 'failure' | 'infra';

export interface CheckResult {
  readonly status: CheckStatus;
  /** One line: what failed, or what passed. */
  readonly summary: string;
  /** One line per problem, each naming the package. */
  readonly problems: readonly string[];
  /** The tools' raw output, for the job's log. */
  readonly log: string;
}

export type Check = (input: CheckInput) => Promise<CheckResult>;

export function infra(summary: string, log: string): CheckResult {
  return { status: 'infra', summary, problems: [], log };
}

/** `N things: first; second; third; and M more`, short enough for one line of a report. */
export function summarize(count: number, noun: string, plural: string, problems: readonly string[], shown = 3): string {
  const head = problems.slice(0, shown).join('; ');
  const more = problems.length > shown ? `; and ${problems.length - shown} more` : '';
  return `${count} ${count === 1 ? noun : plural}: ${head}${more}`;
}

export function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
