import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isSafeName } from '../../core/names.js';
import type { Build } from '../../core/update-schema.js';
import { Readable } from 'node:stream';
import { done, infraFault, type FetchedRpm, type RemoteRpm, type SourceOutcome } from './build-source.js';
import { describeFetchError, withRetry, type HttpPolicy, type Tried } from './http-policy.js';

/**
 * Fetches RPMs all-or-nothing: each goes to a `.partial-<random>` directory inside
 * `destDir` (same file system), is measured and hashed there, and only when every one is
 * complete are they renamed into place. A failure removes the partial directory and any
 * file this fetch already put in place, so a cache never holds half a file or half a
 * build for a retry to trust. Koji's `payloadhash` is an MD5 of part of the file, so the
 * SHA-256 is computed here, from the bytes received. Whatever throws (a full disk, a name
 * listed twice) is an infra fault, never an exception.
 */
export async function fetchAll(rpms: readonly RemoteRpm[], destDir: string, policy: HttpPolicy, signal?: AbortSignal): Promise<SourceOutcome<FetchedRpm[]>> {
  const byName = new Map<string, RemoteRpm>();
  for (const rpm of rpms) {
    const twin = byName.get(rpm.name);
    if (twin) return infraFault(`${rpm.name} is offered twice (${twin.location} and ${rpm.location}); nothing was fetched`);
    byName.set(rpm.name, rpm);
  }
  try {
    return await fetchInto(rpms, destDir, policy, signal);
  } catch (error) {
    return infraFault(`fetching into ${destDir} failed: ${(error as Error).message}; nothing of this fetch was kept`);
  }
}

async function fetchInto(rpms: readonly RemoteRpm[], destDir: string, policy: HttpPolicy, signal?: AbortSignal): Promise<SourceOutcome<FetchedRpm[]>> {
  await mkdir(destDir, { recursive: true });
  const partial = join(destDir, `.partial-${randomBytes(6).toString('hex')}`);
  await mkdir(partial);
  try {
    const staged: FetchedRpm[] = [];
    for (const rpm of rpms) {
      const path = join(partial, rpm.name);
      const got = /^https?:\/\//.test(rpm.location) ? await download(rpm, path, policy, signal) : await copyLocal(rpm, path);
      if (!got.ok) return infraFault(got.message);
      staged.push({ name: rpm.name, path: join(destDir, rpm.name), sha256: got.value.sha256, size: got.value.size, arch: rpm.arch, nvr: rpm.nvr });
    }
    const there = new Set<string>();
    for (const rpm of staged) {
      const known = await hashIfExists(rpm.path);
      if (known !== undefined && known !== rpm.sha256) {
        return infraFault(`checksum changed between fetches: ${rpm.name} was sha256 ${known}, now ${rpm.sha256}; nothing of this fetch was kept`);
      }
      if (known !== undefined) there.add(rpm.path);
    }
    const placed: string[] = [];
    try {
      for (const rpm of staged) {
        await rename(join(partial, rpm.name), rpm.path);
        if (!there.has(rpm.path)) placed.push(rpm.path);
      }
    } catch (error) {
      await Promise.all(placed.map((path) => rm(path, { force: true })));
      throw error;
    }
    return done(staged);
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
}

type Hashed = { sha256: string; size: number };

async function download(rpm: RemoteRpm, path: string, policy: HttpPolicy, signal?: AbortSignal): Promise<Tried<Hashed>> {
  return withRetry(policy, signal, async (sig) => {
    const fh = await open(path, 'w');
    let size = 0;
    let expected: number | undefined;
    try {
      const res = await fetch(rpm.location, { signal: sig });
      if (!res.ok || !res.body) {
        await res.body?.cancel();
        return { ok: false, transient: res.status >= 500, message: `download of ${rpm.location} failed: HTTP ${res.status}` };
      }
      const announced = res.headers.get('content-length');
      expected = rpm.size ?? (announced === null ? undefined : Number(announced));
      const hash = createHash('sha256');
      for await (const chunk of Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>)) {
        const bytes = chunk as Buffer;
        hash.update(bytes);
        size += bytes.length;
        await fh.write(bytes);
      }
      if (expected !== undefined && size !== expected) {
        return { ok: false, transient: true, message: `download of ${rpm.location} truncated: ${size} of ${expected} bytes` };
      }
      return { ok: true, value: { sha256: hash.digest('hex'), size } };
    } catch (error) {
      const why = describeFetchError(error, policy.timeoutMs);
      if (expected !== undefined && size < expected) {
        return { ok: false, transient: true, message: `download of ${rpm.location} truncated: ${size} of ${expected} bytes (${why})` };
      }
      return { ok: false, transient: true, message: `download of ${rpm.location} failed: ${why}` };
    } finally {
      await fh.close();
    }
  });
}

async function copyLocal(rpm: RemoteRpm, path: string): Promise<Tried<Hashed>> {
  try {
    await copyFile(rpm.location, path);
    const hashed = await hashFile(path);
    if (rpm.size !== undefined && hashed.size !== rpm.size) return { ok: false, message: `${rpm.location} changed while it was copied` };
    return { ok: true, value: hashed };
  } catch (error) {
    return { ok: false, message: `cannot copy ${rpm.location}: ${(error as Error).message}` };
  }
}

export async function hashFile(path: string): Promise<Hashed> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

async function hashIfExists(path: string): Promise<string | undefined> {
  try {
    await stat(path);
  } catch {
    return undefined;
  }
  return (await hashFile(path)).sha256;
}

/** The directory a build's RPMs go to: `destDir`, or its `tag` sub-directory. */
export function tagDir(build: Build, destDir: string): string {
  if (build.tag === undefined) return destDir;
  if (!isSafeName(build.tag)) throw new TypeError(`tag ${JSON.stringify(build.tag)} is not a safe name`);
  return join(destDir, build.tag);
}
