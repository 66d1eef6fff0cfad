import { z } from 'zod';
import type { ApiResponse } from './keystone.js';
import { OpenStackError } from './openstack-error.js';

/**
 * The parts of OpenStack's answers Sluice reads, as zod schemas: decoded once where an
 * answer arrives, so a cloud answering something unexpected is an error naming the field,
 * not an undefined deep in the provider. Loose objects: the APIs add fields every release.
 */

const str = z.string();

export const RawServerSchema = z.looseObject({
  id: str,
  name: str.optional(),
  status: str.optional(),
  fault: z.looseObject({ message: str.optional(), details: str.optional() }).optional(),
  metadata: z.record(str, str).optional(),
  tags: z.array(str).optional(),
});
export type RawServer = z.infer<typeof RawServerSchema>;

export const RawPortSchema = z.looseObject({
  id: str,
  name: str.optional(),
  description: str.optional(),
  fixed_ips: z.array(z.looseObject({ ip_address: str.optional() })).optional(),
});
export type RawPort = z.infer<typeof RawPortSchema>;

export const RawFloatingIpSchema = z.looseObject({
  id: str,
  floating_ip_address: str.nullish(),
  description: str.nullish(),
});
export type RawFloatingIp = z.infer<typeof RawFloatingIpSchema>;

export const RawImageSchema = z.looseObject({
  id: str,
  name: str.nullish(),
  status: str.optional(),
  created_at: str.optional(),
  protected: z.boolean().optional(),
});
export type RawImage = z.infer<typeof RawImageSchema>;

export const CatalogEntrySchema = z.looseObject({
  type: str.optional(),
  endpoints: z.array(z.looseObject({ interface: str.optional(), region_id: str.nullish(), region: str.nullish(), url: str.optional() })).optional(),
});
export type CatalogEntry = z.infer<typeof CatalogEntrySchema>;

export const ServerCreated = z.looseObject({ server: z.looseObject({ id: str.optional() }).optional() });
export const ServerBody = z.looseObject({ server: RawServerSchema });
export const ServerPage = z.looseObject({ servers: z.array(RawServerSchema).optional(), servers_links: z.array(z.looseObject({ rel: str.optional(), href: str.optional() })).optional() });
export const ConsoleBody = z.looseObject({ output: z.unknown().optional() });
export const ImageCreated = z.looseObject({ image_id: str.optional() });
export const ImagePage = z.looseObject({ images: z.array(RawImageSchema).optional(), next: str.optional() });
export const PortBody = z.looseObject({ port: RawPortSchema.optional() });
export const PortPage = z.looseObject({ ports: z.array(RawPortSchema).optional() });
export const FloatingIpBody = z.looseObject({ floatingip: RawFloatingIpSchema.optional() });
export const FloatingIpPage = z.looseObject({ floatingips: z.array(RawFloatingIpSchema).optional() });
export const TokenBody = z.looseObject({ token: z.looseObject({ expires_at: str.optional(), catalog: z.array(CatalogEntrySchema).optional() }).optional() });

/** The answer's body read with `schema` (an empty body reads as `{}`); an unexpected one is an OpenStackError naming what and where. */
export function bodyOf<S extends z.ZodType>(res: ApiResponse, schema: S, what: string): z.infer<S> {
  const parsed = schema.safeParse(res.body ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new OpenStackError(res.status, `${what}: unexpected answer (${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'malformed body'})`);
}
