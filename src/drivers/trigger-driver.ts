import type { TriggerDeclaration } from '../core/driver-declaration.js';
import type { Problem } from '../core/problem.js';
import type { GerritRefSchema, RecordOf } from '../core/records/index.js';
import type { RunReporter } from '../engine/engine.js';
import type { Store } from '../store/index.js';

/** A trigger's section cannot be used here (a secret's variable unset, a key file unreadable): the message names the key. */
export class TriggerSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TriggerSetupError';
  }
}

/** What every trigger and reporter gets: the store, the configuration's directory, the environment for secrets. */
export interface TriggerSite {
  readonly store: Store;
  /** Relative key and known_hosts paths start there. */
  readonly configDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly log?: (line: string) => void;
}

/** An update file a trigger received (a Gerrit change's), to be submitted to phase1 under the id it chose. */
export interface TriggerSubmission {
  readonly runId: string;
  readonly bytes: Uint8Array;
  readonly file: string;
  readonly author: { readonly name: string; readonly email: string };
  /** Updates it is declared to need (update ids, change URLs), each with where it was said (a Depends-On footer). */
  readonly dependsOn?: readonly { readonly ref: string; readonly why: string }[];
}

export type TriggerSubmitResult = { readonly ok: true; readonly runId: string } | { readonly ok: false; readonly problems: readonly Problem[] };
export type Phase2Outcome = { readonly runId: string; readonly kind: 'started' | 'coalesced' } | { readonly refused: string };

/** What `sluice serve` hands a trigger: how to start runs, and whom to wake. */
export interface TriggerHooks extends TriggerSite {
  readonly submit: (s: TriggerSubmission) => Promise<TriggerSubmitResult>;
  /** `recheck failed` of an update file's content (a Gerrit patch set's), voting on `gerrit`. */
  readonly recheckFailed?: (s: TriggerSubmission & { readonly gerrit?: RecordOf<typeof GerritRefSchema> }) => Promise<{ readonly ok: true; readonly runId: string } | { readonly ok: false; readonly message: string }>;
  readonly startPhase2: () => Promise<Phase2Outcome>;
  readonly notify: () => void;
  /** The followed branch moved (the update repository's upstream is pulled). */
  readonly onRefUpdated?: (ref: { readonly refName: string; readonly newRev: string }) => void;
}

export interface StartedTrigger {
  /** One line for serve's log: what is followed, and where. */
  readonly description: string;
  stop(): Promise<void>;
}

/** The reporters of a trigger, and the local merge as it leaves it (a trigger that submits itself merges its own runs). */
export interface TriggerReporters {
  readonly merge: RunReporter;
  readonly reporters: readonly RunReporter[];
}

/**
 * A driver whose section of sluice.yaml is a top-level key named for its type (`gerrit:`),
 * as the registry lists it. Both parts read the section through the driver's own schema
 * and throw TriggerSetupError for what only shows at start.
 */
export interface TriggerDriver extends TriggerDeclaration {
  /** Its events start runs (the trigger capability); `sluice serve` starts it. */
  readonly start?: (section: unknown, hooks: TriggerHooks) => Promise<StartedTrigger>;
  /** It reports runs back (the reporter capability); every engine has these reporters. */
  readonly reporters?: (section: unknown, site: TriggerSite, merge: RunReporter) => TriggerReporters;
}
