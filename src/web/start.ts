import { pino, type Logger } from 'pino';
import { ListenSchema } from '../core/config-schema.js';
import type { WebDeps } from './deps.js';
import { buildWebServer } from './server.js';
import type { TokenEntry } from './tokens.js';

/** Where `sluice serve` answers when neither `web.listen` nor `--listen` says. */
export const DEFAULT_LISTEN = '127.0.0.1:8080';

export function parseListen(text: string): { host: string; port: number } | undefined {
  if (!ListenSchema.safeParse(text).success) return undefined;
  const at = text.lastIndexOf(':');
  return { host: text.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(text.slice(at + 1)) };
}

/** JSON lines (pino) written through the caller's error output, one object per line. */
export function webLogger(write: (line: string) => void, level = 'info'): Logger {
  return pino({ level, base: { service: 'sluice-web' } }, { write });
}

export interface StartedWeb {
  /** `http://HOST:PORT`, the port the system gave when 0 was asked. */
  readonly url: string;
  /** Takes a new list of tokens (a reread token file) without a restart. */
  replaceTokens(tokens: readonly TokenEntry[]): void;
  close(): Promise<void>;
}

/** Builds the server and listens; a failure to bind is thrown with the system's code (EADDRINUSE...). */
export async function startWeb(deps: WebDeps, listen: { host: string; port: number }): Promise<StartedWeb> {
  const { app, auth } = await buildWebServer(deps);
  try {
    await app.listen({ host: listen.host, port: listen.port });
  } catch (e) {
    await app.close();
    throw e;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : listen.port;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return { url: `http://${host}:${port}`, replaceTokens: (tokens) => auth.replaceTokens(tokens), close: () => app.close() };
}
