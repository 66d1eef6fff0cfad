import { Client } from 'ssh2';
import { SUBSCRIBED_TYPES } from './events.js';
import { LineSplitter } from './json-lines.js';
import type { KnownHosts } from './known-hosts.js';

/**
 * `ssh -p PORT USER@HOST gerrit stream-events`, kept open: each line it prints goes to
 * `onLine`. A lost connection (server restart, network, keepalives unanswered) is made
 * again after a back-off that doubles up to `maxMs` and starts over once a connection
 * works. Gerrit does not replay what happened while nobody listened, so `onConnected` is
 * called each time the stream (re)starts: the trigger then catches up over REST.
 */

export interface SshStreamOptions {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly privateKey: Buffer;
  readonly knownHosts: KnownHosts;
  readonly onLine: (line: string) => void;
  readonly onConnected: () => void;
  readonly log?: (line: string) => void;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** SSH keepalives: a connection whose peer stops answering three of them is dropped. */
  readonly keepaliveMs?: number;
}

export interface EventStream {
  /** Whether events are flowing now. */
  connected(): boolean;
  stop(): Promise<void>;
}

export const STREAM_EVENTS_COMMAND = ['gerrit stream-events', ...SUBSCRIBED_TYPES.map((t) => `-s ${t}`)].join(' ');

export function startSshStream(o: SshStreamOptions): EventStream {
  const initialMs = o.backoff?.initialMs ?? 1000;
  const maxMs = o.backoff?.maxMs ?? 60_000;
  const stopping = new AbortController();
  let current: Client | undefined;
  let flowing = false;

  const once = () => new Promise<{ ready: boolean; why: string }>((resolve) => {
    const client = new Client();
    current = client;
    let ready = false;
    let why = 'connection closed';
    let refused: string | undefined;
    let stderr = '';
    client.on('ready', () => {
      ready = true;
      client.exec(STREAM_EVENTS_COMMAND, (err, channel) => {
        if (err) {
          why = `cannot start gerrit stream-events: ${err.message}`;
          client.end();
          return;
        }
        flowing = true;
        const lines = new LineSplitter(o.onLine, undefined, (n) => o.log?.(`gerrit stream: dropped a line of ${n} bytes`));
        channel.on('data', (chunk: Buffer) => lines.push(chunk));
        channel.stderr.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString('utf8')).slice(-500); });
        channel.on('close', (code: number | null) => {
          flowing = false;
          why = `gerrit stream-events ended${code === null || code === undefined ? '' : ` (exit ${code})`}${stderr.trim() ? `: ${stderr.trim()}` : ''}`;
          client.end();
        });
        o.onConnected();
      });
    });
    client.on('error', (e) => { why = e.message; });
    client.on('close', () => {
      flowing = false;
      resolve({ ready, why: refused ?? why });
    });
    client.connect({
      host: o.host, port: o.port, username: o.user, privateKey: o.privateKey,
      readyTimeout: 20_000, keepaliveInterval: o.keepaliveMs ?? 15_000, keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => {
        const ok = o.knownHosts.verify(o.host, o.port, key);
        if (!ok) refused = o.knownHosts.lists(o.host, o.port) ? `the host key of ${o.host}:${o.port} is not the one in known_hosts_file: refusing it` : `${o.host}:${o.port} is not in known_hosts_file: add its host key (ssh-keyscan -p ${o.port} ${o.host})`;
        return ok;
      },
    });
  });

  const loop = (async () => {
    let delay = initialMs;
    while (!stopping.signal.aborted) {
      const ended = await once();
      if (stopping.signal.aborted) break;
      if (ended.ready) delay = initialMs;
      o.log?.(`gerrit stream ${o.user}@${o.host}:${o.port}: ${ended.why}; connecting again in ${delay} ms`);
      await sleep(delay, stopping.signal);
      delay = Math.min(maxMs, delay * 2);
    }
  })();

  return {
    connected: () => flowing,
    async stop() {
      stopping.abort();
      current?.end();
      await loop;
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
