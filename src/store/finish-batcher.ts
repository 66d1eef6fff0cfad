import type { StoreContext } from './context.js';
import { endsWhateverTheRow, finishJob, writeFinishes, type FinishJobInput, type FinishJobResult } from './job-transitions.js';

/** Finishes one transaction writes at most. */
const MAX_FINISHES_AT_ONCE = 32;

interface Waiting {
  readonly input: FinishJobInput;
  readonly resolve: (result: FinishJobResult) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * A store's finishJob, with group commit: finishes that arrive while one transaction of
 * finishes is being written wait for it and then go together as the next one
 * (job-transitions.ts `writeFinishes`). A finish that arrives alone is written at once, as
 * before; the 32 children of a fan-out, which end within milliseconds of each other, cost a
 * few transactions instead of 32, each with its BEGIN, its events and its COMMIT. A
 * transaction of several that fails is written again one finish at a time, so one bad
 * finish fails only its own caller. Infra results and hand-backs read the row first
 * (a retry, a gift) and are written alone.
 */
export function finishBatcher(ctx: StoreContext): (input: FinishJobInput) => Promise<FinishJobResult> {
  const waiting: Waiting[] = [];
  let writing = false;
  const settle = (w: Waiting, written: { settled: () => Promise<FinishJobResult> }) => {
    // What is left after the commit (a sibling's late collation) does not hold the next transaction.
    written.settled().then(w.resolve, w.reject);
  };
  const drain = async () => {
    writing = true;
    try {
      while (waiting.length > 0) {
        const batch = waiting.splice(0, MAX_FINISHES_AT_ONCE);
        try {
          const written = await writeFinishes(ctx, batch.map((w) => w.input));
          batch.forEach((w, i) => settle(w, written[i] as { settled: () => Promise<FinishJobResult> }));
        } catch (error) {
          if (batch.length === 1) {
            (batch[0] as Waiting).reject(error);
            continue;
          }
          await Promise.all(batch.map(async (w) => {
            try {
              const [written] = await writeFinishes(ctx, [w.input]);
              settle(w, written as { settled: () => Promise<FinishJobResult> });
            } catch (alone) {
              w.reject(alone);
            }
          }));
        }
      }
    } finally {
      writing = false;
    }
  };
  return (input) => {
    if (!endsWhateverTheRow(input)) return finishJob(ctx, input);
    return new Promise<FinishJobResult>((resolve, reject) => {
      waiting.push({ input, resolve, reject });
      if (!writing) void drain();
    });
  };
}
