import { createHash } from 'node:crypto';

/**
 * The id git gives a file's bytes as a blob (`git hash-object`), computed here rather than
 * by a process: the hash of `blob <length>\0` and the bytes, SHA-1 or, in a repository of
 * the SHA-256 object format, SHA-256 (told by the length of an id it already has).
 */
export function blobId(bytes: Uint8Array, format: 'sha1' | 'sha256' = 'sha1'): string {
  return createHash(format).update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/** The object format of a repository whose ids look like `id`. */
export function formatOfId(id: string): 'sha1' | 'sha256' {
  return id.length === 64 ? 'sha256' : 'sha1';
}
