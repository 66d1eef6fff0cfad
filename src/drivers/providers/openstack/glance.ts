import type { KeystoneSession } from './keystone.js';
import { expectStatus } from './openstack-error.js';

export interface ImageInfo {
  readonly id: string;
  readonly name: string;
  /** queued, saving, active, killed, deleted, ... */
  readonly status: string;
  readonly createdAt: string;
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
   * Nova boots from an image id: a config may name the image instead (`CentOS-7-x86_64`),
   * then the newest active image of that name is meant. An id is taken as it is.
   */
  async resolve(ref: string, signal?: AbortSignal): Promise<string | undefined> {
    if (UUID.test(ref)) return ref;
    const res = await this.session.request('image', 'GET', `/v2/images?name=${encodeURIComponent(ref)}&status=active`, signal ? { signal } : {});
    expectStatus(res, [200], `cannot look up image ${ref}`);
    const images = ((res.body as { images?: RawImage[] } | null)?.images ?? []).map(toImage).filter((i) => i.status === 'active' && i.name === ref);
    images.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    return images[0]?.id;
  }
}

interface RawImage {
  readonly id: string;
  readonly name?: string | null;
  readonly status?: string;
  readonly created_at?: string;
}

function toImage(i: RawImage): ImageInfo {
  return { id: i.id, name: i.name ?? '', status: i.status ?? 'unknown', createdAt: i.created_at ?? '' };
}
