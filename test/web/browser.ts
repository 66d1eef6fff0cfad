import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { underCi } from './fixture.js';

/** Debian's chromium, which scripts/ensure-system-packages.sh installs; playwright-core brings no browser. */
export const CHROMIUM = process.env.SLUICE_CHROMIUM ?? '/usr/bin/chromium';
export const NO_CHROMIUM = `no chromium at ${CHROMIUM}: apt-get install chromium (npm test installs it when run as root), or set SLUICE_CHROMIUM`;

let launched: Promise<Browser> | undefined;

/**
 * The process's browser, launched on first use; undefined (the test skipped with a
 * message) where chromium is not installed, except under CI, where that fails the test.
 */
export async function browser(t: TestContext): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM)) {
    if (underCi()) throw new Error(`${NO_CHROMIUM} (CI is set: the browser tests must run, not skip)`);
    t.skip(NO_CHROMIUM);
    return undefined;
  }
  // Root (CI, containers) cannot use chromium's sandbox.
  launched ??= chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  return launched;
}

export async function closeBrowser(): Promise<void> {
  if (launched) await (await launched).close();
  launched = undefined;
}
