import type { DeliverySettings } from '../core/config.js';
import type { JobResult } from '../core/verdicts.js';

export type { DeliverySettings } from '../core/config.js';
import type { JobSpec } from './job-spec.js';

/** What one execution of a job on one node needs beyond its spec. */
export interface Execution {
  readonly runId: string;
  readonly jobId: string;
  readonly attempt: number;
  readonly spec: JobSpec;
  /** The update file(s) as submitted (phase2: every update of the group), for the node's work directory. */
  readonly updateFiles: readonly { readonly name: string; readonly content: string }[];
  readonly signal: AbortSignal;
  /** What the job's preparation made for the test command (values, no paths of the worker's). */
  readonly preparedEnv?: Readonly<Record<string, string>>;
  /**
   * Directories of the worker the commands need, by the variable that names them
   * (SLUICE_UPDATE_REPO, SLUICE_STAGE_REPO...). A provider whose nodes cannot see the
   * worker's disk delivers each to the node and sets the variable to the node's path;
   * for a variable ending in _REPO it also writes a dnf repository file (`<VAR>_FILE`).
   */
  readonly inputDirs?: Readonly<Record<string, string>>;
  /** The pipeline's settings for what a node receives and sends back. */
  readonly delivery?: DeliverySettings;
}


export interface ExecutionOutcome {
  readonly result: Exclude<JobResult, 'skipped'>;
  /** One line saying why, shown next to the result (the error excerpt comes from the log). */
  readonly reason: string;
  /** Which node ran it (host, VM, simulated slot), for explain. */
  readonly node: string;
  readonly logPath: string | null;
  /** Where the commands were told to write test results ($SLUICE_RESULTS_DIR: JUnit XML, subunit v2). */
  readonly resultsDir?: string | null;
  /** The attempt's error excerpt, when analysis made one: stored with the job. */
  readonly excerpt?: unknown;
  /** A baseline's node kept as an image (the images pipeline records it as known-good). */
  readonly snapshot?: { readonly name: string; readonly location: string };
}

/**
 * A source of nodes (DESIGN.md "node"): local processes, an SSH pool, a cloud, or a
 * simulation. The engine leases capacity in the store before it calls `execute`, so a
 * provider never needs a lock of its own. A node that cannot be had or made ready is an
 * `infra` outcome, never a `failure`: that is retried and never blamed on the update.
 */
export interface NodeProvider {
  readonly name: string;
  readonly capacity: number;
  execute(execution: Execution): Promise<ExecutionOutcome>;
  /**
   * Where `execute` will write this attempt's log on the worker's host, known before it
   * runs: the worker's claim records it in the store as the attempt starts, so readers
   * follow the growing log from there. Absent when the provider keeps no log there while
   * it runs.
   */
  liveLogPath?(attempt: AttemptId): string;
  /**
   * After a worker died, its job's attempt was reclaimed: stop whatever of it may still
   * run (a node to delete, processes to kill), so no job outlives its claim.
   */
  reap?(attempt: AbandonedAttempt): Promise<void>;
  /**
   * A restart's sweep, and a periodic one: remove what this provider holds for runs that
   * are no longer unfinished (a server whose worker died before the store knew of it, or
   * whose job row was reclaimed while the provider could not be reached). The live runs
   * are asked for after the provider listed its nodes, so a run that started meanwhile
   * counts as live and its new node is kept. `knownImages` (asked after the live runs)
   * are the image locations the store records or a run whose report is owed announced: a
   * snapshot of a finished run outside them was lost by a crash and may go too.
   */
  reapOrphans?(liveRunIds: () => Promise<Iterable<string>>, knownImages?: () => Promise<Iterable<string>>): Promise<unknown>;
}

/** One attempt of one job. */
export interface AttemptId {
  readonly runId: string;
  readonly jobId: string;
  readonly attempt: number;
}

export interface AbandonedAttempt extends AttemptId {
  readonly target: string;
}
