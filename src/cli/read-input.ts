import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Io } from './io.js';

/** Bytes of a file named on the command line, `-` meaning standard input. */
export function readInput(io: Io, file: string): { ok: true; bytes: Uint8Array } | { ok: false; message: string } {
  try {
    return { ok: true, bytes: file === '-' ? io.readStdin() : readFileSync(resolve(io.cwd, file)) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : String((e as Error).message);
    return { ok: false, message: `cannot read ${file}: ${why}` };
  }
}
