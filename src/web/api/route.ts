import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { ErrorCode } from '../../core/errors.js';
import { validate } from '../api-error.js';
import { ApiError } from '../api-error.js';
import type { Access, Viewer } from '../auth.js';
import type { Identity } from '../roles.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Checked before the body is read: who may call this route. */
    access?: Access;
  }
  interface FastifyRequest {
    /** Who is asking, as the onRequest hook recognised them (undefined: nobody). */
    viewer: Viewer | undefined;
  }
}

/** The person an action is done in the name of: its token's, session's or proxy's, never the request body's. */
export function actorOf(request: FastifyRequest): Identity {
  const who = request.viewer?.identity;
  if (!who) throw new ApiError('E_TOKEN_MISSING', 'an action needs an API token: send "Authorization: Bearer TOKEN"');
  return who;
}

type Empty = z.ZodObject<Record<string, never>>;

export interface ApiInput<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  readonly params: z.output<P>;
  readonly query: z.output<Q>;
  readonly body: z.output<B>;
  readonly request: FastifyRequest;
}

/**
 * One endpoint of the JSON API, declared once: the same schemas validate its input, type
 * its handler and make its part of the OpenAPI document.
 */
export interface ApiRoute<P extends z.ZodType = Empty, Q extends z.ZodType = Empty, B extends z.ZodType = Empty, R extends z.ZodType = z.ZodType> {
  readonly method: 'GET' | 'POST';
  /** OpenAPI style: `/api/runs/{id}`. */
  readonly path: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: string;
  readonly access: Access;
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
  readonly response: R;
  readonly status?: 200 | 201;
  /** The error codes this endpoint may answer with, besides those of every endpoint. */
  readonly errors?: readonly ErrorCode[];
  handle(input: ApiInput<P, Q, B>, reply: FastifyReply): Promise<z.output<R>>;
}

/** A route of any shapes, as the registry and the document see it. */
export type AnyApiRoute = ApiRoute<z.ZodType, z.ZodType, z.ZodType, z.ZodType>;

export function apiRoute<P extends z.ZodType = Empty, Q extends z.ZodType = Empty, B extends z.ZodType = Empty, R extends z.ZodType = z.ZodType>(route: ApiRoute<P, Q, B, R>): AnyApiRoute {
  return route as unknown as AnyApiRoute;
}

export function fastifyPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1');
}

export function registerApiRoutes(app: FastifyInstance, routes: readonly AnyApiRoute[]): void {
  for (const route of routes) {
    app.route({
      method: route.method,
      url: fastifyPath(route.path),
      config: { access: route.access },
      handler: async (request, reply) => {
        const params = route.params ? validate(route.params, request.params, 'path') : {};
        const query = route.query ? validate(route.query, request.query ?? {}, 'query') : {};
        const body = route.body ? validate(route.body, request.body, 'body') : undefined;
        const out = await route.handle({ params, query, body, request }, reply);
        reply.code(route.status ?? 200).header('cache-control', 'no-store');
        return out;
      },
    });
  }
}
