import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseJsonBounded } from '../../core/json-depth.js';

/**
 * The webhook alternative to stream-events: Gerrit's webhooks plugin POSTs each event, as
 * the same JSON object stream-events prints, to `http://HOST:PORT/gerrit/events`. The
 * plugin cannot sign requests, so the shared secret travels in the URL
 * (`?secret=...`, configured in the plugin's remote URL) or, behind a proxy that adds it,
 * in `X-Sluice-Secret`; it is compared in constant time. A request without it is refused
 * with 401 before its body is read.
 */

export const WEBHOOK_PATH = '/gerrit/events';
const MAX_BODY_BYTES = 1024 * 1024;

export interface WebhookOptions {
  /** HOST:PORT (an IPv6 host in brackets); port 0 takes a free one. */
  readonly listen: string;
  readonly secret: string;
  readonly onEvent: (raw: unknown) => void;
  readonly log?: (line: string) => void;
}

export interface WebhookServer {
  readonly host: string;
  readonly port: number;
  stop(): Promise<void>;
}

export async function startWebhook(o: WebhookOptions): Promise<WebhookServer> {
  const { host, port } = splitListen(o.listen);
  const server = createServer((req, res) => { void handle(o, req, res); });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  const addr = server.address() as AddressInfo;
  return {
    host: addr.address, port: addr.port,
    stop: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}

async function handle(o: WebhookOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://webhook');
  if (url.pathname !== WEBHOOK_PATH) return answer(res, 404, 'not found');
  if (req.method !== 'POST') return answer(res, 405, 'POST events here');
  const given = req.headers['x-sluice-secret'] ?? url.searchParams.get('secret') ?? '';
  if (!sameSecret(Array.isArray(given) ? given[0] ?? '' : given, o.secret)) {
    req.resume();
    return answer(res, 401, 'wrong or missing secret');
  }
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
    // Read and dropped, so the client gets the answer rather than a reset connection.
    req.resume();
    res.setHeader('connection', 'close');
    return answer(res, 413, `an event is at most ${MAX_BODY_BYTES} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      // A body without a length that grows past the bound: no answer is owed.
      if (size > MAX_BODY_BYTES) return void req.destroy();
      chunks.push(chunk as Buffer);
    }
  } catch {
    return;
  }
  const parsed = parseJsonBounded(Buffer.concat(chunks).toString('utf8'));
  if (!parsed.ok) return answer(res, 400, `the body is not JSON Sluice takes: ${parsed.message}`);
  o.onEvent(parsed.value);
  answer(res, 204, '');
}

/** Hashing first makes the comparison constant-time whatever the lengths. */
function sameSecret(given: string, secret: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(secret).digest();
  return secret !== '' && timingSafeEqual(a, b);
}

function answer(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, status === 204 ? {} : { 'content-type': 'text/plain; charset=utf-8' });
  res.end(status === 204 ? undefined : `${text}\n`);
}

export function splitListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(listen.slice(i + 1)) };
}
