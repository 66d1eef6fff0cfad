// Sizes as operators write them in sluice.yaml (`max_size: 20GiB`) and as Sluice prints
// them back. Pure.

export const BYTE_SIZE_RULE = 'a size such as 500MiB, 20GiB or 1TiB (B, KiB, MiB, GiB, TiB; KB, MB, GB, TB are powers of 1000)';

const UNITS: Readonly<Record<string, number>> = {
  B: 1, KIB: 1024, MIB: 1024 ** 2, GIB: 1024 ** 3, TIB: 1024 ** 4,
  KB: 1000, MB: 1000 ** 2, GB: 1000 ** 3, TB: 1000 ** 4,
};

/** Bytes, or undefined when the text is not a size. */
export function parseByteSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([A-Za-z]+)$/.exec(text.trim());
  if (!m?.[1] || !m[2]) return undefined;
  const unit = UNITS[m[2].toUpperCase()];
  if (unit === undefined) return undefined;
  const bytes = Math.round(Number(m[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** `1.5 GiB`, `312 KiB`, `17 B`: binary units, three significant digits. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let i = 0;
  while (Math.abs(value) >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  const shown = i === 0 ? String(value) : value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
  return `${shown} ${units[i] ?? 'B'}`;
}
