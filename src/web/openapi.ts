import { z } from 'zod';
import { ERRORS, type ErrorCode } from '../core/errors.js';
import { ErrorBodySchema } from './api-error.js';
import type { AnyApiRoute } from './api/route.js';

/** Endpoints that answer something other than JSON (event streams, text), described by hand. */
export interface OtherEndpoint {
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  readonly contentType: string;
  readonly query?: z.ZodType;
  readonly params?: z.ZodType;
}

type Json = Record<string, unknown>;

/** Codes any endpoint may answer with. */
const COMMON: readonly ErrorCode[] = ['E_REQUEST_INVALID', 'E_RATE_LIMITED', 'E_INTERNAL'];

/**
 * The OpenAPI 3.1 document of the API, made from the zod schemas the routes validate with.
 * Schemas named with `.meta({ id })` become components; everything else is inlined.
 */
export function openApiDocument(routes: readonly AnyApiRoute[], others: readonly OtherEndpoint[], info: { version: string; publicReads: boolean }): Json {
  const components: Record<string, unknown> = {};
  const convert = (schema: z.ZodType, io: 'input' | 'output'): Json => hoist(z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json, components);
  const paths: Record<string, Record<string, unknown>> = {};
  const errorRef = convert(ErrorBodySchema, 'output');

  for (const r of routes) {
    const codes = [...new Set([...COMMON, ...(r.errors ?? []), ...authCodes(r.access, info.publicReads)])];
    const responses: Record<string, unknown> = {
      [String(r.status ?? 200)]: { description: 'OK', content: { 'application/json': { schema: convert(r.response, 'output') } } },
    };
    for (const [status, list] of groupByStatus(codes)) {
      responses[String(status)] = { description: list.map((c) => `\`${c}\`: ${ERRORS[c].summary}`).join('\n\n'), content: { 'application/json': { schema: errorRef } } };
    }
    const op: Json = {
      operationId: operationId(r.method, r.path),
      summary: r.summary,
      ...(r.description ? { description: r.description } : {}),
      tags: [r.tag],
      parameters: [...parameters(r.params, 'path', convert), ...parameters(r.query, 'query', convert)],
      responses,
      ...(r.access === 'action' || (r.access === 'read' && !info.publicReads) ? { security: [{ bearer: [] }] } : {}),
    };
    if (r.body) op.requestBody = { required: true, content: { 'application/json': { schema: convert(r.body, 'input') } } };
    (paths[r.path] ??= {})[r.method.toLowerCase()] = op;
  }
  for (const o of others) {
    (paths[o.path] ??= {}).get = {
      operationId: operationId('GET', o.path),
      summary: o.summary,
      tags: [o.tag],
      parameters: [...parameters(o.params, 'path', convert), ...parameters(o.query, 'query', convert)],
      responses: { 200: { description: 'OK', content: { [o.contentType]: { schema: { type: 'string' } } } } },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Sluice', version: info.version, description: 'The HTTP API of `sluice serve`: runs, jobs, updates, targets, images, nodes; actions with a bearer token whose person has the role each action names (packager, release, admin). Errors carry a stable code (docs/errors.md).' },
    paths,
    components: { schemas: components, securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
  };
}

function authCodes(access: AnyApiRoute['access'], publicReads: boolean): ErrorCode[] {
  // E_CSRF: an action known only by a trusted proxy's header, sent from another site's page.
  if (access === 'action') return ['E_TOKEN_MISSING', 'E_TOKEN_INVALID', 'E_ACTIONS_DISABLED', 'E_ROLE_REQUIRED', 'E_CSRF'];
  if (access === 'read' && !publicReads) return ['E_TOKEN_MISSING', 'E_TOKEN_INVALID'];
  return [];
}

function groupByStatus(codes: readonly ErrorCode[]): Map<number, ErrorCode[]> {
  const out = new Map<number, ErrorCode[]>();
  for (const c of codes) {
    const list = out.get(ERRORS[c].http) ?? [];
    list.push(c);
    out.set(ERRORS[c].http, list);
  }
  return new Map([...out].sort((a, b) => a[0] - b[0]));
}

function operationId(method: string, path: string): string {
  const words = path.replace(/^\/api\/?/, '').split('/').filter(Boolean).map((w) => w.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase()));
  return [method.toLowerCase(), ...words.map((w) => w.charAt(0).toUpperCase() + w.slice(1))].join('');
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query', convert: (s: z.ZodType, io: 'input') => Json): Json[] {
  if (!schema) return [];
  const json = convert(schema, 'input') as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name, in: where, required: where === 'path' || (json.required ?? []).includes(name),
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
    schema: s,
  }));
}

/** Moves the `$defs` of one converted schema into the document's components and points its refs there. */
function hoist(schema: Json, components: Record<string, unknown>): Json {
  const defs = (schema.$defs ?? {}) as Record<string, unknown>;
  delete schema.$defs;
  delete schema.$schema;
  const rewrite = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(rewrite);
    if (v === null || typeof v !== 'object') return v;
    const out: Json = {};
    for (const [k, x] of Object.entries(v as Json)) out[k] = k === '$ref' && typeof x === 'string' ? x.replace('#/$defs/', '#/components/schemas/') : rewrite(x);
    return out;
  };
  for (const [name, def] of Object.entries(defs)) components[name] ??= rewrite(def);
  return rewrite(schema) as Json;
}
