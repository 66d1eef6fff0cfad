import type { KeystoneSession } from './keystone.js';
import { expectStatus } from './openstack-error.js';
import { bodyOf, ImagePage, type RawImage } from './api-bodies.js';

export interface ImageInfo {
  readonly id: string;
  readonly name: string;
  /** queued, saving, active, killed, deleted, ... */
  readonly status: string;
  readonly createdAt: string;
  /** A protected image refuses DELETE until an owner unprotects it. */
  readonly protected: boolean;
  /**
   * Every string field of the image: Glance v2 puts the properties an owner (or Nova's
   * createImage) set at the top level of the image, beside the base ones.
   */
  readonly properties: Readonly<Record<string, string>>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The Image API, for what Nova cannot tell: an image's state, and the id behind a name. */
export class Glance {
  constructor(private readonly session: KeystoneSession) {}

  async getImage(id: string, signal?: AbortSignal): Promise<ImageInfo | undefined> {
    const res = await this.session.request('image', 'GET', `/v2/images/${encodeURIComponent(id)}`, signal ? { signal } : {});
    if (res.status === 404) return undefined;
    expectStatus(res, [200], `cannot read image ${id}`);
    return toImage(res.body as RawImage);
  }

  /** Deletes an image (a pruned snapshot); one already gone is fine. */
  async deleteImage(id: string): Promise<void> {
    const res = await this.session.request('image', 'DELETE', `/v2/images/${encodeURIComponent(id)}`);
    if (res.status === 404) return;
    expectStatus(res, [204, 200], `cannot delete image ${id}`);
  }

  /**
   * Every image whose properties hold these values, following Glance's `next` links: the
   * listing is paged even without a `limit` (Glance's default page is 25, capped by the
   * cloud's api_limit_max). A property filter is an exact match in Glance; it is checked
   * here again, so a Glance that ignores it lists too much rather than the wrong images.
   */
  async listImages(properties: Readonly<Record<string, string>>): Promise<ImageInfo[]> {
    const images: ImageInfo[] = [];
    const seen = new Set<string>();
    let path: string | undefined = `/v2/images?${new URLSearchParams({ ...properties, limit: '100' }).toString()}`;
    while (path !== undefined) {
      const res = await this.session.request('image', 'GET', path);
      expectStatus(res, [200], 'cannot list the images');
      const body = bodyOf(res, ImagePage, 'Glance\'s images');
      const page = (body?.images ?? []).map(toImage);
      images.push(...page);
      // Glance answers a `next` after any full page, so the last one may be empty; a
      // `next` seen before would loop.
      path = body?.next && page.length > 0 && !seen.has(body.next) ? body.next : undefined;
      if (path) seen.add(path);
    }
    return images.filter((i) => Object.entries(properties).every(([k, v]) => i.properties[k] === v));
  }

  /**
   * Nova boots from an image id: a config may name the image instead (`CentOS-7-x86_64`),
   * then the newest active image of that name is meant. An id is taken as it is.
   */
  async resolve(ref: string, signal?: AbortSignal): Promise<string | undefined> {
    if (UUID.test(ref)) return ref;
    const res = await this.session.request('image', 'GET', `/v2/images?name=${encodeURIComponent(ref)}&status=active`, signal ? { signal } : {});
    expectStatus(res, [200], `cannot look up image ${ref}`);
    const images = (bodyOf(res, ImagePage, `Glance's images named ${ref}`).images ?? []).map(toImage).filter((i) => i.status === 'active' && i.name === ref);
    images.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    return images[0]?.id;
  }
}


function toImage(i: RawImage): ImageInfo {
  const properties = Object.fromEntries(Object.entries(i).filter((e): e is [string, string] => typeof e[1] === 'string'));
  return { id: i.id, name: i.name ?? '', status: i.status ?? 'unknown', createdAt: i.created_at ?? '', protected: i.protected === true, properties };
}
