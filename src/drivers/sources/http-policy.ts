import { abortableSleep } from '../abortable-sleep.js';
/**
 * How hard a source tries: each HTTP request (an XML-RPC call, a download) gets
 * `timeoutMs`; a transient failure (network error, timeout, 5xx, truncated body) is
 * tried again up to `attempts` times in all, waiting `backoffMs` times the attempts spent.
 */
export interface HttpPolicy {
  readonly timeoutMs: number;
  readonly attempts: number;
  readonly backoffMs: number;
}

export const DEFAULT_HTTP_POLICY: HttpPolicy = { timeoutMs: 120_000, attempts: 3, backoffMs: 2_000 };

/** One try: done, or failed and maybe worth another. */
export type Attempt<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly transient: boolean; readonly message: string };

export type Tried<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/** Runs `once` until it succeeds, fails for good, or the attempts run out. */
export async function withRetry<T>(policy: HttpPolicy, signal: AbortSignal | undefined, once: (signal: AbortSignal) => Promise<Attempt<T>>): Promise<Tried<T>> {
  let last = 'no attempt made';
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    if (signal?.aborted) return { ok: false, message: 'cancelled' };
    const timeout = AbortSignal.timeout(policy.timeoutMs);
    const result = await once(signal ? AbortSignal.any([signal, timeout]) : timeout);
    if (result.ok) return result;
    last = attempt > 1 ? `${result.message} (after ${attempt} attempts)` : result.message;
    if (!result.transient || signal?.aborted) return { ok: false, message: last };
    if (attempt < policy.attempts) await abortableSleep(policy.backoffMs * attempt, signal);
  }
  return { ok: false, message: last };
}

/** Why a fetch() threw, in words: a timeout is named as one. */
export function describeFetchError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return error.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : 'cancelled';
  }
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error instanceof Error ? error.message : String(error)}${cause}`;
}
