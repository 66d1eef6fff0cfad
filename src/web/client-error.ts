import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { ApiError } from './api-error.js';

const CLIENT_ERRORS: Readonly<Record<string, ApiError>> = {
  ERR_HTTP_REQUEST_TIMEOUT: new ApiError('E_REQUEST_TIMEOUT', 'the request did not arrive in time'),
  HPE_HEADER_OVERFLOW: new ApiError('E_HEADERS_TOO_LARGE', 'the request\'s headers are larger than the server takes (16 KiB in all)'),
};

/**
 * A request Node's parser refused (malformed, headers too large, too slow): answered on the
 * raw socket, as Fastify's own handler does, but in the documented shape, then closed.
 */
export function answerClientError(err: Error & { code?: string }, socket: Socket, securityHeaders: Readonly<Record<string, string>>): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const e = CLIENT_ERRORS[err.code ?? ''] ?? new ApiError('E_REQUEST_INVALID', 'the request is not valid HTTP');
  const body = JSON.stringify(e.body());
  const headers = { ...securityHeaders, 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), 'cache-control': 'no-store', connection: 'close' };
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${e.status} ${STATUS_CODES[e.status] ?? ''}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body}`);
  }
  socket.destroy(err);
}
