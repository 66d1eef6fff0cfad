/** A target known to be red: skipped by pipelines, with the reason shown wherever it is skipped. */
export interface TargetDisable {
  readonly target: string;
  readonly reason: string;
  readonly by: string;
  /** Milliseconds since the epoch. */
  readonly since: number;
  /** When the disable lapses by itself, if ever. */
  readonly until: number | null;
}

export function describeDisable(d: TargetDisable): string {
  const until = d.until === null ? '' : `, until ${new Date(d.until).toISOString()}`;
  return `${d.reason} (disabled by ${d.by} since ${new Date(d.since).toISOString()}${until})`;
}
