import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * Runs `fn` and answers the longest the event loop was held meanwhile, in milliseconds
 * (perf_hooks' histogram, sampled every 10 ms). For bounds an issue asks for, not benchmarks.
 */
export async function eventLoopDelayOf<T>(fn: () => T | Promise<T>): Promise<{ value: T; maxMs: number }> {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  await new Promise((r) => setTimeout(r, 30));
  const value = await fn();
  await new Promise((r) => setTimeout(r, 30));
  h.disable();
  return { value, maxMs: h.max / 1e6 };
}

/** 1 MiB (less a little) of `[`: the update file that stalled the server for seconds. */
export const NESTED_MIB = '['.repeat(1024 * 1024 - 16);
