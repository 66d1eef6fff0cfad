import assert from 'node:assert/strict';
import type { RunReporter } from '../../../src/engine/engine.js';
import { notifyDriver } from '../../../src/drivers/notify/index.js';
import { parseConfigText } from '../../../src/drivers/registry.js';
import type { Store } from '../../../src/store/index.js';

export const WEB_URL = 'https://sluice.example.org/';

/** sluice.yaml with a `notify:` section, read as `sluice serve` reads it (schema and cross-references). */
export function notifySection(notify: Record<string, unknown>): unknown {
  const text = `${JSON.stringify({
    releases: ['kilo'], dists: { 'epel-7': {}, 'epel-8': {} },
    targets: { 'kilo/epel-7': { repo: 'https://example.org/kilo/el7/' }, 'kilo/epel-8': { repo: 'https://example.org/kilo/el8/' } },
    notify: { web_url: WEB_URL, ...notify },
  }, null, 2)}\n`;
  const parsed = parseConfigText(text, 'sluice.yaml');
  assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.problems));
  return parsed.config.triggers.notify;
}

/** The notify driver's reporter as every engine gets it (engine-setup's triggerReporters). */
export function notifyReporterFor(section: unknown, store: Store, env: Record<string, string>, configDir = '.'): RunReporter {
  const made = notifyDriver.reporters?.(section, { store, configDir, env }, { report: async () => {} });
  assert.ok(made);
  const [reporter] = made.reporters;
  assert.ok(reporter?.drain);
  return reporter;
}
