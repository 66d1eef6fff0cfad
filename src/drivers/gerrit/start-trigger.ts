import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Store } from '../../store/index.js';
import { TriggerSetupError } from '../trigger-driver.js';
import type { GerritConfig } from './config.js';
import type { GerritAccount } from './events.js';
import { parseKnownHosts } from './known-hosts.js';
import { GerritRest } from './rest.js';
import { startSshStream, type EventStream } from './stream.js';
import { GerritTrigger, type GerritSubmission, type GerritSubmitResult, type Phase2Answer, type Phase2Request, type RecheckFailedAnswer } from './trigger.js';
import { startWebhook, type WebhookServer } from './webhook.js';
import { parseJsonBounded } from '../../core/json-depth.js';

/**
 * The Gerrit trigger of `sluice serve`, from the `gerrit:` section of the configuration:
 * the REST client, the SSH event stream and/or the webhook receiver, and a catch-up over
 * REST at start, after every (re)connection of the stream, and every `catchUpEveryMs`
 * (the safety net of a webhook delivery Gerrit gave up on). Secrets come from the
 * environment variables the configuration names, keys from the files it names.
 */

export interface StartGerritTriggerOptions {
  readonly store: Store;
  readonly gerrit: GerritConfig;
  /** The directory of sluice.yaml: relative key and known_hosts paths start there. */
  readonly configDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly submit: (s: GerritSubmission) => Promise<GerritSubmitResult>;
  readonly recheckFailed?: (s: GerritSubmission) => Promise<RecheckFailedAnswer>;
  readonly onPhase2: (r: Phase2Request) => Promise<Phase2Answer>;
  readonly notify: () => void;
  readonly onRefUpdated?: (ref: { readonly refName: string; readonly newRev: string }) => void;
  readonly now?: () => number;
  readonly log?: (line: string) => void;
  readonly catchUpEveryMs?: number;
  /** Reconnection back-off of the SSH stream (tests shorten it). */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
}

export interface GerritTriggerHandle {
  /** Hands one event to the trigger (e.g. from a webhook route of another HTTP server). */
  accept(raw: unknown): void;
  /** Resolves once the events accepted so far are handled. */
  idle(): Promise<void>;
  /** Where the webhook listens, when it does. */
  readonly webhook?: { readonly host: string; readonly port: number };
  stop(): Promise<void>;
}

/** A configuration problem found while starting: the message names the key. */
export class GerritSetupError extends TriggerSetupError {
  constructor(message: string) {
    super(message);
    this.name = 'GerritSetupError';
  }
}

export function gerritRestFromConfig(gerrit: GerritConfig, env: Readonly<Record<string, string | undefined>>): GerritRest {
  const password = env[gerrit.http.password_env];
  if (!password) throw new GerritSetupError(`gerrit.http.password_env names $${gerrit.http.password_env}, which is not set: export the HTTP password of ${gerrit.http.user} there`);
  return new GerritRest({ url: gerrit.url, user: gerrit.http.user, password });
}

export async function startGerritTrigger(o: StartGerritTriggerOptions): Promise<GerritTriggerHandle> {
  const { gerrit } = o;
  const rest = gerritRestFromConfig(gerrit, o.env);
  const secret = gerrit.webhook ? o.env[gerrit.webhook.secret_env] : undefined;
  if (gerrit.webhook && !secret) throw new GerritSetupError(`gerrit.webhook.secret_env names $${gerrit.webhook.secret_env}, which is not set`);
  const ssh = gerrit.ssh ? sshSettings(gerrit.ssh, o.configDir) : undefined;
  const self: GerritAccount[] = [{ username: gerrit.http.user }, ...(gerrit.ssh ? [{ username: gerrit.ssh.user }] : [])];
  const trigger = new GerritTrigger({
    store: o.store, rest, project: gerrit.project, branch: gerrit.branch, self, labels: gerrit.labels,
    ...(gerrit.phase2_group ? { phase2Group: gerrit.phase2_group } : {}),
    submit: o.submit, onPhase2: o.onPhase2, ...(o.recheckFailed ? { recheckFailed: o.recheckFailed } : {}), notify: o.notify, now: o.now ?? Date.now,
    ...(o.onRefUpdated ? { onRefUpdated: o.onRefUpdated } : {}), ...(o.log ? { log: o.log } : {}),
  });
  await trigger.load();
  const accept = (raw: unknown) => trigger.accept(raw);
  let stream: EventStream | undefined;
  let webhook: WebhookServer | undefined;
  try {
    if (secret && gerrit.webhook) webhook = await startWebhook({ listen: gerrit.webhook.listen, secret, onEvent: accept, ...(o.log ? { log: o.log } : {}) });
  } catch (e) {
    throw new GerritSetupError(`gerrit.webhook.listen ${gerrit.webhook?.listen}: ${(e as Error).message}`);
  }
  if (ssh) {
    stream = startSshStream({
      ...ssh,
      onLine: (line) => {
        const parsed = parseJsonBounded(line);
        if (!parsed.ok) return void o.log?.(`gerrit stream: a line was ignored: ${parsed.message}`);
        try {
          accept(parsed.value);
        } catch {
          o.log?.('gerrit stream: a line that is not an event was ignored');
        }
      },
      onConnected: () => { void trigger.catchUp(); },
      ...(o.log ? { log: o.log } : {}), ...(o.backoff ? { backoff: o.backoff } : {}),
    });
  } else {
    void trigger.catchUp();
  }
  const timer = setInterval(() => { void trigger.catchUp(); }, o.catchUpEveryMs ?? 10 * 60_000);
  timer.unref();
  return {
    accept,
    idle: () => trigger.idle(),
    ...(webhook ? { webhook: { host: webhook.host, port: webhook.port } } : {}),
    async stop() {
      clearInterval(timer);
      await stream?.stop();
      await webhook?.stop();
      await trigger.idle();
    },
  };
}

function sshSettings(ssh: NonNullable<GerritConfig['ssh']>, configDir: string) {
  const read = (key: string, file: string) => {
    try {
      return readFileSync(resolve(configDir, file));
    } catch (e) {
      throw new GerritSetupError(`gerrit.ssh.${key} ${file}: ${(e as Error).message}`);
    }
  };
  return {
    host: ssh.host, port: ssh.port, user: ssh.user,
    privateKey: read('key_file', ssh.key_file),
    knownHosts: parseKnownHosts(read('known_hosts_file', ssh.known_hosts_file).toString('utf8')),
  };
}
