import { createHash, randomBytes } from 'node:crypto';

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Run ids sort by creation and stay short enough to type: `r` + base-36 milliseconds +
 * 4 random characters, e.g. `rmie3k2x0a9f2`.
 */
export function newRunId(now: number): string {
  return `r${now.toString(36)}${randomBytes(3).toString('hex').slice(0, 4)}`;
}
