import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedPost {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The status it was answered with. */
  readonly status: number;
}

export interface HttpReceiver {
  readonly url: string;
  readonly posts: ReceivedPost[];
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedPost[]>;
  close(): Promise<void>;
}

/** A real node:http server on loopback that records every request and answers with `answer(n)` for the n-th (from 1). */
export async function startHttpReceiver(answer: (n: number) => number = () => 204): Promise<HttpReceiver> {
  const posts: ReceivedPost[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = answer(posts.length + 1);
      posts.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status >= 300 ? 'receiver unavailable' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/sluice`, posts,
    async waitFor(n, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (posts.length < n) {
        if (Date.now() > deadline) throw new Error(`${posts.length} of ${n} requests arrived within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return posts;
    },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
