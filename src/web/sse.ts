import type { FastifyReply, FastifyRequest } from 'fastify';

export interface EventStream {
  send(event: string, data: unknown, id?: number): void;
  /** Ends the stream; the client's EventSource reconnects unless told `end` first. */
  close(): void;
  readonly closed: boolean;
  onClose(fn: () => void): void;
}

const HEARTBEAT_MS = 15_000;

/**
 * Server-Sent Events on a hijacked reply: `text/event-stream`, a comment every 15 s so
 * proxies keep the connection, and `close` called once whichever side ends it.
 */
export function openEventStream(request: FastifyRequest, reply: FastifyReply, headers: Readonly<Record<string, string>>, streams: Set<EventStream>): EventStream {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.write('retry: 2000\n\n');
  const closers: (() => void)[] = [];
  let closed = false;
  const heartbeat = setInterval(() => { res.write(': ping\n\n'); }, HEARTBEAT_MS);
  const stream: EventStream = {
    send(event, data, id) {
      if (closed) return;
      res.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    close() {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      streams.delete(stream);
      for (const fn of closers) fn();
      res.end();
    },
    get closed() { return closed; },
    onClose(fn) { closers.push(fn); },
  };
  streams.add(stream);
  request.raw.once('close', () => stream.close());
  return stream;
}
