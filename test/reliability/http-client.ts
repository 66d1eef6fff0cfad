import assert from 'node:assert/strict';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { errorSpec } from '../../src/core/errors.js';
import { ErrorBodySchema } from '../../src/web/api-error.js';

/**
 * A plain HTTP client for the reliability suites: real sockets to a listening server, any
 * method, any bytes, any Content-Type, and the answer's time taken. Nothing happens when
 * this file is run alone.
 */

export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly ms: number;
}

export interface HttpRequest {
  readonly method?: string;
  /** Path and query, already percent-encoded where needed. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
}

export class HttpClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });

  constructor(private readonly host: string, private readonly port: number) {}

  send(r: HttpRequest): Promise<HttpAnswer> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const body = r.body === undefined ? undefined : typeof r.body === 'string' ? Buffer.from(r.body) : Buffer.from(r.body);
      const req = request({
        host: this.host, port: this.port, method: r.method ?? 'GET', path: r.path, agent: this.agent,
        headers: { ...(body ? { 'content-length': String(body.length) } : {}), ...r.headers },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * A documented answer: a success, or a 4xx whose body is `{error: {code, message, status}}`
 * with a code of the registry (src/core/errors.ts) whose HTTP status is the one sent.
 * Never a 5xx, never a stack trace.
 */
export function assertDocumentedAnswer(a: HttpAnswer, what: string): void {
  const context = `${what} -> ${a.status} ${a.body.slice(0, 400)}`;
  assert.ok(a.status >= 200 && a.status < 500, `not a success nor a 4xx: ${context}`);
  assert.doesNotMatch(a.body, /\n\s+at .+:\d+:\d+/, `a stack trace in the answer: ${context}`);
  if (a.status < 400) return;
  assert.match(String(a.headers['content-type'] ?? ''), /^application\/json/, context);
  const parsed = ErrorBodySchema.safeParse(JSON.parse(a.body));
  assert.ok(parsed.success, `not the error shape (${parsed.error?.message}): ${context}`);
  const body = parsed.data;
  const spec = errorSpec(body.error.code);
  assert.ok(spec, `an unregistered code ${body.error.code}: ${context}`);
  assert.equal(spec.http, a.status, context);
  assert.equal(body.error.status, a.status, context);
  assert.ok(body.error.message.trim().length > 0, context);
}

/** Percentiles of a sample, nearest rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}
