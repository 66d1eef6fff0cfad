import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/**
 * What a production repository holds now, as one key: the SHA-256 of its
 * `repodata/repomd.xml` (which names the checksums of all its metadata). An image built
 * from one key is stale once production has another. Undefined when it cannot be read:
 * the caller then cannot tell, and says so.
 */
export async function productionKey(repoUrl: string, opts: { timeoutMs?: number } = {}): Promise<string | undefined> {
  try {
    const base = repoUrl.endsWith('/') ? repoUrl : `${repoUrl}/`;
    let bytes: Uint8Array;
    if (base.startsWith('file:')) {
      bytes = await readFile(fileURLToPath(new URL('repodata/repomd.xml', base)));
    } else if (/^https?:/.test(base)) {
      const res = await fetch(new URL('repodata/repomd.xml', base), { signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000) });
      if (!res.ok) return undefined;
      bytes = new Uint8Array(await res.arrayBuffer());
    } else {
      return undefined;
    }
    return `repomd:${createHash('sha256').update(bytes).digest('hex')}`;
  } catch {
    return undefined;
  }
}
