import type { Execution, ExecutionOutcome } from './node-provider.js';

export type Preparation =
  | { readonly ok: true; readonly env: Readonly<Record<string, string>>; readonly dirs?: Readonly<Record<string, string>>; readonly logPath?: string }
  | { readonly ok: false; readonly outcome: ExecutionOutcome };

/**
 * What happens before a job's test commands and needs no node: fetch the update's builds,
 * make its repository, run the built-in checks (docs/checks.md). A failed check or a
 * missing build ends the job there (failure); a hub that cannot be reached is infra.
 * The engine calls it; drivers implement it (the composition root wires them).
 */
export interface JobPreparer {
  prepare(execution: Omit<Execution, 'preparedEnv'>): Promise<Preparation>;
}
