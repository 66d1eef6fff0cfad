import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Job } from '../store/index.js';
import { ApiError } from './api-error.js';

/** Sent on a mirror's request: the holder answers from its own disk and never asks a third host. */
export const PEER_HEADER = 'x-sluice-peer';

/** The caller's credentials, passed on so a holder with `public_reads: false` answers as it would answer the caller. */
export type ForwardedCredentials = Readonly<{ authorization?: string; cookie?: string }>;

/**
 * The logs of attempts another host's `sluice serve` ran, copied here on demand so every
 * reader (the log page, its API, the raw log, the follow stream) reads a local file as
 * for a local attempt. The store names the host (`jobs.log_origin`); each read asks it for
 * the bytes after those already copied (`Range: bytes=N-`), so a running log grows here
 * as it grows there, and a finished attempt's copy, once whole, is never asked for again.
 * A copy outlives its holder: a host that is down still has its finished logs shown.
 */
export class PeerLogs {
  private readonly inFlight = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly cacheDir: string,
    /** This serve's own URL (undefined before it listens): a job it ran is never mirrored from itself. */
    private readonly ownOrigin: () => string | undefined,
    private readonly timeoutMs = 10_000,
  ) {}

  /** True when the job's attempt ran on another serve whose log this one may copy. */
  holdsElsewhere(job: Job): job is Job & { logOrigin: string } {
    return job.logOrigin !== null && job.logOrigin !== this.ownOrigin() && job.attempt > 0;
  }

  /**
   * The local copy of the job's log, brought up to date with its holder first; undefined
   * when the holder has none. Reads of one copy at once share one request.
   */
  copyOf(job: Job & { logOrigin: string }, credentials: ForwardedCredentials): Promise<string | undefined> {
    const path = this.pathOf(job);
    const pending = this.inFlight.get(path);
    if (pending) return pending;
    const refreshed = this.refresh(job, path, credentials).finally(() => this.inFlight.delete(path));
    this.inFlight.set(path, refreshed);
    return refreshed;
  }

  private pathOf(job: Job & { logOrigin: string }): string {
    const key = createHash('sha256').update(`${job.logOrigin}\0${job.id}\0${job.attempt}`).digest('hex').slice(0, 40);
    return join(this.cacheDir, `${key}.log`);
  }

  private async refresh(job: Job & { logOrigin: string }, path: string, credentials: ForwardedCredentials): Promise<string | undefined> {
    const whole = `${path}.whole`;
    if (existsSync(whole)) return path;
    // The state read before the request: a job finished by then wrote its whole log before it finished.
    const finished = job.state === 'finished';
    const have = existsSync(path) ? statSync(path).size : 0;
    const url = `${job.logOrigin.replace(/\/+$/, '')}/jobs/${encodeURIComponent(job.id)}/log.txt`;
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { [PEER_HEADER]: '1', range: `bytes=${have}-`, ...credentials },
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      if (have > 0) return path;
      throw unreachable(job, `${(e as Error).message}${(e as { cause?: Error }).cause ? ` (${(e as { cause: Error }).cause.message})` : ''}`);
    }
    if (response.status === 404) {
      await response.body?.cancel();
      return have > 0 ? path : undefined;
    }
    if (response.status !== 200 && response.status !== 206 && response.status !== 416) {
      await response.body?.cancel();
      if (have > 0) return path;
      throw unreachable(job, `it answered ${response.status} ${response.statusText}`);
    }
    mkdirSync(this.cacheDir, { recursive: true });
    if (response.status === 206 && response.body) {
      await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), createWriteStream(path, { flags: 'a' }));
    } else if (response.status === 200 && response.body) {
      // A holder that ignores ranges sends the whole log: it replaces the copy, never half of one.
      const part = `${path}.part`;
      await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), createWriteStream(part));
      renameSync(part, path);
    } else {
      await response.body?.cancel();
      if (!existsSync(path)) writeFileSync(path, '');
    }
    if (finished) writeFileSync(whole, '');
    return path;
  }
}

function unreachable(job: Job & { logOrigin: string }, why: string): ApiError {
  return new ApiError('E_LOG_UNREACHABLE', `job ${job.id}'s log is on the serve at ${job.logOrigin}, which cannot be read from here: ${why}`);
}
