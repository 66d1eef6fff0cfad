import { createWriteStream } from 'node:fs';
import type { Client } from 'ssh2';
import type { ProcessExit } from '../local/run-process.js';
import { openExec, run } from './ssh-session.js';
import { shellQuote } from './shell-quote.js';

/** How a remote command ended: a local process's ends, or the connection lost under it. */
export type RemoteExit = ProcessExit | { readonly kind: 'connection_lost'; readonly message: string };

export interface RemoteSpec {
  readonly client: Client;
  /** The operator's shell command line, run by /bin/sh -c in the job directory. */
  readonly command: string;
  /** The job directory on the host, holding `job.env` and `pgids`. */
  readonly dir: string;
  readonly logPath: string;
  readonly timeoutMs: number;
  readonly maxLogBytes: number;
  readonly killGraceMs: number;
  readonly signal?: AbortSignal;
  /** Put before every line in the log (`[controller] `): the roles of a multi-node job share one log. */
  readonly linePrefix?: string;
}

/** The file a job's environment travels in, sourced with `set -a` just before the command. */
export const ENV_FILE = 'job.env';
export const PGIDS_FILE = 'pgids';
/** After SIGKILL, how long the host has to end the command before the job stops waiting. */
const GIVE_UP_MS = 30_000;

/**
 * The line the host's login shell runs. sshd already makes that shell a session and
 * process group leader, so everything below is exec'd in place: the group id is `$$`,
 * recorded for reaping and printed as the first line of stdout (read, not logged), and a
 * signal that ends the command reaches the client as sshd's exit-signal. (`setsid` here
 * would fork, because the shell already leads its group, and hide how the command
 * ended.) `env -i` drops the login's environment but its PATH; the command line is the
 * only thing spliced in, as one quoted word, and it is the operator's, not the update's.
 */
export function remoteCommandLine(dir: string, command: string): string {
  const inner = `set -a && . ./${ENV_FILE} && set +a && exec /bin/sh -c "$1"`;
  return `cd ${shellQuote(dir)} && echo $$ >> ${PGIDS_FILE} && echo $$ && exec env -i PATH="$PATH" /bin/sh -c ${shellQuote(inner)} sluice-job ${shellQuote(command)}`;
}

/**
 * Runs one command of a job on a host, streaming stdout and stderr into the local log.
 * A timeout, a cancel or output over the limit kills the remote process group (SIGTERM,
 * SIGKILL after the grace); when the command ends, whatever of its group is left is
 * killed too, as the local provider does.
 */
export async function runRemote(spec: RemoteSpec): Promise<{ exit: RemoteExit; pgid: number | undefined }> {
  const { client } = spec;
  let lost: string | undefined;
  let connectionClosed = () => { /* set below, once the command runs */ };
  const onClose = () => { lost ??= 'the connection closed'; connectionClosed(); };
  const onError = (e: Error) => { lost ??= e.message; };
  client.on('close', onClose);
  client.on('error', onError);
  let channel;
  try {
    channel = await openExec(client, remoteCommandLine(spec.dir, spec.command));
  } catch (e) {
    client.off('close', onClose);
    client.off('error', onError);
    return { exit: lost ? { kind: 'connection_lost', message: lost } : { kind: 'spawn_failed', message: (e as Error).message }, pgid: undefined };
  }
  return new Promise((resolve) => {
    let finished = false;
    const log = createWriteStream(spec.logPath, { flags: 'a' });
    let logBytes = 0;
    let logError: NodeJS.ErrnoException | undefined;
    // The local disk full (ENOSPC): the output is lost, so the command is stopped, and the job ends as infra saying why.
    log.on('error', (e: NodeJS.ErrnoException) => {
      logError ??= e;
      killGroup({ kind: 'log_failed', message: e.message, code: e.code });
    });
    let pgid: number | undefined;
    let head = Buffer.alloc(0);
    let ending: ProcessExit | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let leader: ProcessExit | undefined;
    let giveUp: NodeJS.Timeout | undefined;
    const signalGroup = (sig: 'TERM' | 'KILL') => {
      if (!pgid) return;
      run(client, `kill -${sig} -- -${pgid} 2>/dev/null; true`).catch(() => { /* the connection is gone: reap handles it */ });
    };
    const killGroup = (why: ProcessExit) => {
      if (ending) return;
      ending = why;
      terminate();
    };
    // SIGTERM, then SIGKILL after the grace; again from the start if the group id arrives late.
    const terminate = () => {
      if (killTimer) clearTimeout(killTimer);
      signalGroup('TERM');
      killTimer = setTimeout(() => {
        signalGroup('KILL');
        // A host that cannot kill (or say so) must not hold the job forever.
        giveUp ??= setTimeout(() => { lost ??= 'the host did not end the killed command'; channel.close(); finish(); }, GIVE_UP_MS);
      }, spec.killGraceMs);
    };
    // With a prefix, only whole lines are written, each with it: two roles' lines never mix.
    let partial = Buffer.alloc(0);
    const prefix = spec.linePrefix ? Buffer.from(spec.linePrefix) : undefined;
    const prefixed = (chunk: Buffer, flush: boolean): Buffer => {
      if (!prefix) return chunk;
      const data = Buffer.concat([partial, chunk]);
      const end = flush ? data.length : data.lastIndexOf(0x0a) + 1;
      partial = data.subarray(end);
      if (end === 0) return Buffer.alloc(0);
      const lines = data.subarray(0, end).toString('utf8').split(/(?<=\n)/);
      return Buffer.from(lines.map((l) => `${spec.linePrefix}${l}${flush && !l.endsWith('\n') ? '\n' : ''}`).join(''));
    };
    const toLog = (raw: Buffer, flush = false) => {
      const chunk = prefixed(raw, flush);
      if (chunk.length === 0) return;
      const room = spec.maxLogBytes - logBytes;
      if (chunk.length <= room) {
        log.write(chunk);
        logBytes += chunk.length;
        return;
      }
      if (room > 0) log.write(chunk.subarray(0, room));
      logBytes += Math.max(0, room);
      killGroup({ kind: 'output_limit', limitBytes: spec.maxLogBytes });
    };
    channel.on('data', (chunk: Buffer) => {
      if (pgid !== undefined) return toLog(chunk);
      head = Buffer.concat([head, chunk]);
      const nl = head.indexOf(0x0a);
      if (nl < 0) return;
      const line = head.subarray(0, nl).toString('utf8');
      pgid = /^\d+$/.test(line) ? Number(line) : 0;
      // A timeout or cancel that came before the group was known is carried out now.
      if (ending) terminate();
      if (head.length > nl + 1) toLog(head.subarray(nl + 1));
    });
    channel.stderr.on('data', (d: Buffer) => toLog(d));
    const timer = setTimeout(() => killGroup({ kind: 'timeout', afterMs: spec.timeoutMs }), spec.timeoutMs);
    const onAbort = () => killGroup({ kind: 'cancelled' });
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    if (spec.signal?.aborted) onAbort();
    channel.on('exit', (code: number | null, signal?: string) => {
      leader = code !== null && code !== undefined ? { kind: 'exited', code } : { kind: 'signalled', signal: signal ? (signal.startsWith('SIG') ? signal : `SIG${signal}`) : 'unknown' };
      // A daemon left behind would hold the output open and outlive the job: end the group.
      signalGroup('KILL');
    });
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      if (giveUp) clearTimeout(giveUp);
      spec.signal?.removeEventListener('abort', onAbort);
      client.off('close', onClose);
      client.off('error', onError);
      if (partial.length > 0) toLog(Buffer.alloc(0), true);
      const exit: RemoteExit = ending ?? leader ?? { kind: 'connection_lost', message: lost ?? 'the session ended without an exit status' };
      const done = () => resolve({ exit: logError && exit.kind !== 'log_failed' ? { kind: 'log_failed', message: logError.message, code: logError.code } : exit, pgid });
      if (logError || log.destroyed) done();
      else log.end((e?: Error | null) => { if (e) logError ??= e as NodeJS.ErrnoException; done(); });
    };
    channel.on('close', finish);
    // The channel may not report its own end when the connection drops under it.
    connectionClosed = () => setTimeout(finish, 200);
    channel.end();
  });
}
