import { Cron } from 'croner';
import { PIPELINES, type PipelineName } from './config-schema.js';
import { formatDuration } from './duration.js';

// When scheduled pipelines fire (docs/schedules.md). Pure: the caller says what time it
// is. The expressions were validated with the config (config-schema.ts), so a malformed
// one reaching these functions is a bug and croner's error is thrown as is.

/**
 * Schedules are read in UTC unless a time zone is named: moving a server to another
 * zone, or its zone changing to summer time, must not move the nightly phase2.
 */
export const SCHEDULE_TIMEZONE = 'UTC';

export type Schedules = Partial<Record<PipelineName, string>>;

export interface NextFiring {
  pipeline: PipelineName;
  cron: string;
  /** Milliseconds since the epoch; null when the expression matches no date to come (`0 0 30 2 *`). */
  next: number | null;
}

function cronOf(cron: string, timezone: string): Cron {
  return new Cron(cron, { paused: true, timezone });
}

function firstAfter(job: Cron, after: number): number | null {
  return job.nextRun(new Date(after))?.getTime() ?? null;
}

/** The first firing strictly after `after`, or null when there is none. */
export function nextFiring(cron: string, after: number, timezone = SCHEDULE_TIMEZONE): number | null {
  return firstAfter(cronOf(cron, timezone), after);
}

/**
 * The latest firing in (`lastFired`, `now`]: the one a scheduler that was not running
 * missed most recently, or null when it missed none. A schedule that never fired
 * (`lastFired` null) owes nothing: there is no start to count missed firings from.
 */
export function missedFiring(cron: string, lastFired: number | null, now: number, timezone = SCHEDULE_TIMEZONE): number | null {
  if (lastFired === null || lastFired >= now) return null;
  const job = cronOf(cron, timezone);
  // Walking forward from `lastFired` would take a year of minutes after a long outage, and
  // croner cannot walk backwards: look back over windows doubling from one minute, and
  // walk forward only through the first window holding a firing (its later half holds none).
  for (let window = 60_000; ; window *= 2) {
    const from = Math.max(lastFired, now - window);
    const first = firstAfter(job, from);
    if (first !== null && first <= now) {
      let latest = first;
      for (let t = firstAfter(job, latest); t !== null && t <= now; t = firstAfter(job, latest)) latest = t;
      return latest;
    }
    if (from === lastFired) return null;
  }
}

/** Each scheduled pipeline's next firing after `now`, in the order of PIPELINES. */
export function nextFirings(schedules: Schedules, now: number, timezone = SCHEDULE_TIMEZONE): NextFiring[] {
  return PIPELINES.flatMap((pipeline) => {
    const cron = schedules[pipeline];
    return cron === undefined ? [] : [{ pipeline, cron, next: nextFiring(cron, now, timezone) }];
  });
}

/**
 * How long until a firing, for people: `15h12m`, `2d3h`, `42s` (the form durations take
 * in sluice.yaml). Whole minutes, rounded down, from a minute on; seconds, rounded up, below.
 */
export function formatCountdown(ms: number): string {
  if (ms < 60_000) return formatDuration(Math.max(1, Math.ceil(ms / 1000)) * 1000);
  const minutes = Math.floor(ms / 60_000);
  const parts: [number, number][] = [[Math.floor(minutes / 1440), 86_400_000], [Math.floor(minutes / 60) % 24, 3_600_000], [minutes % 60, 60_000]];
  return parts.filter(([n]) => n > 0).map(([n, unit]) => formatDuration(n * unit)).join('');
}

/** `2026-11-30T03:00:00Z`: firings fall on whole seconds, so the milliseconds say nothing. */
export function formatFiringTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
}
