import type { Problem } from './problem.js';

export type Decoded = { ok: true; text: string } | { ok: false; problem: Problem };

/**
 * Decodes UTF-8 strictly and, when the bytes are not UTF-8, says where: a packager with a
 * Latin-1 editor needs the line of the bad byte, not "invalid encoding".
 */
export function decodeUtf8(bytes: Uint8Array, file: string): Decoded {
  // The native strict decoder checks in one pass; the byte loop runs only to say where.
  let text: string | undefined;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    text = undefined;
  }
  const bad = text === undefined ? firstInvalidByte(bytes) : -1;
  if (text !== undefined || bad === -1) {
    text ??= new TextDecoder('utf-8').decode(bytes);
    return { ok: true, text: text.startsWith('\uFEFF') ? text.slice(1) : text };
  }
  const { line, col } = lineColOfByte(bytes, bad);
  const hex = (bytes[bad] ?? 0).toString(16).padStart(2, '0');
  return {
    ok: false,
    problem: {
      severity: 'error', code: 'E_NOT_UTF8', file, line, col, path: '',
      message: `byte 0x${hex} at offset ${bad} is not UTF-8: save the file as UTF-8`,
    },
  };
}

/** Offset of the first byte that does not start or continue a valid sequence, or -1. */
function firstInvalidByte(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i] as number;
    let need: number;
    let min: number;
    if (c < 0x80) { i++; continue; }
    else if (c >= 0xc2 && c <= 0xdf) { need = 1; min = 0x80; }
    else if (c >= 0xe0 && c <= 0xef) { need = 2; min = 0x800; }
    else if (c >= 0xf0 && c <= 0xf4) { need = 3; min = 0x10000; }
    else return i;
    let cp = c & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const cc = b[i + k];
      if (cc === undefined || (cc & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

function lineColOfByte(b: Uint8Array, offset: number): { line: number; col: number } {
  let line = 1;
  let col = 1;
  for (let i = 0; i < offset; i++) {
    const c = b[i] as number;
    if (c === 0x0a) { line++; col = 1; }
    else if ((c & 0xc0) !== 0x80) col++; // count characters, not continuation bytes
  }
  return { line, col };
}
