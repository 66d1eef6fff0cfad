import { isNvr, splitNvr } from '../../core/names.js';
import type { Build } from '../../core/update-schema.js';
import { parseRpmFileName, selectRpms } from './arch-filter.js';
import { buildLabel, done, infraFault, updateFault, type BuildInfo, type BuildSource, type RemoteRpm, type SourceOutcome } from './build-source.js';
import { fetchAll, tagDir } from './download.js';
import { describeFetchError, withRetry, type HttpPolicy } from './http-policy.js';

const MAX_LISTING_BYTES = 8 * 1024 * 1024;

/**
 * A Copr results directory, read as the web server's directory listing: the RPMs are
 * the `*.rpm` links whose file name is the build's NVR plus an arch. Copr keeps each
 * build in a `<number>-<package>/` sub-directory, so when the listing itself has none,
 * the sub-directories named for the package are read too.
 */
export function coprSource(options: { readonly url: string; readonly policy: HttpPolicy }): BuildSource {
  const base = options.url.endsWith('/') ? options.url : `${options.url}/`;

  async function check(build: Build, signal?: AbortSignal): Promise<SourceOutcome<BuildInfo>> {
    const parts = typeof build.id === 'string' ? splitNvr(build.id) : undefined;
    if (typeof build.id !== 'string' || !isNvr(build.id) || !parts) return updateFault(`build id ${buildLabel(build)} is not an NVR, which a Copr source needs`);
    const nvr = build.id;
    const top = await listing(base, signal);
    if (!top.ok) return top;
    let rpms = rpmLinks(top.value, nvr);
    if (rpms.length === 0) {
      for (const dir of top.value.filter((l) => l.endsWith(`-${encodeURIComponent(parts.name)}/`))) {
        const sub = await listing(dir, signal);
        if (!sub.ok) return sub;
        // A build directory holds one build: its sub-packages (openstack-nova-api of
        // openstack-nova) share the version and release, not the name.
        if (rpmLinks(sub.value, nvr).length === 0) continue;
        rpms = rpmLinks(sub.value, nvr, { sameVersionRelease: parts });
        break;
      }
    }
    if (rpms.length === 0) return updateFault(`build ${nvr} does not exist in the Copr results ${base}`);
    return selectRpms(build, nvr, rpms);
  }

  /** The links of a listing that stay under the results directory, as absolute URLs. */
  async function listing(url: string, signal?: AbortSignal): Promise<SourceOutcome<string[]>> {
    const got = await withRetry<string>(options.policy, signal, async (sig) => {
      try {
        const res = await fetch(url, { signal: sig });
        const html = await res.text();
        if (!res.ok) return { ok: false, transient: res.status >= 500, message: `Copr results ${url} answered HTTP ${res.status}` };
        if (html.length > MAX_LISTING_BYTES) return { ok: false, transient: false, message: `Copr results ${url} sent a listing past ${MAX_LISTING_BYTES} bytes` };
        return { ok: true, value: html };
      } catch (error) {
        return { ok: false, transient: true, message: `Copr results ${url} failed: ${describeFetchError(error, options.policy.timeoutMs)}` };
      }
    });
    if (!got.ok) return infraFault(got.message);
    const links = new Set<string>();
    for (const m of got.value.matchAll(/href\s*=\s*["']([^"'#?]+)["']/gi)) {
      let abs: string;
      try {
        abs = new URL(m[1] ?? '', url).href;
      } catch {
        continue;
      }
      if (abs.startsWith(base) && abs !== url) links.add(abs);
    }
    return done([...links]);
  }

  return {
    check,
    async fetch(build, destDir, signal) {
      const info = await check(build, signal);
      if (!info.ok) return info;
      return fetchAll(info.value.rpms, tagDir(build, destDir), options.policy, signal);
    },
  };
}

function rpmLinks(links: readonly string[], nvr: string, opts: { sameVersionRelease?: { version: string; release: string } } = {}): RemoteRpm[] {
  const out: RemoteRpm[] = [];
  for (const link of links) {
    const name = decodeURIComponent(link.slice(link.lastIndexOf('/') + 1));
    const parsed = parseRpmFileName(name);
    if (!parsed) continue;
    const vr = opts.sameVersionRelease;
    const own = splitNvr(parsed.nvr);
    if (parsed.nvr === nvr || (vr && own && own.version === vr.version && own.release === vr.release)) {
      out.push({ name, nvr: parsed.nvr, arch: parsed.arch, location: link });
    }
  }
  return out;
}
