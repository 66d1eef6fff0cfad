import assert from 'node:assert/strict';
import { test } from 'node:test';
import { changedKeys, RESTART_KEYS } from '../../../src/cli/serve-reload.js';
import type { Config } from '../../../src/core/config.js';
import { parseConfigText } from '../../../src/drivers/registry.js';

function config(more: Record<string, unknown>): Config {
  const parsed = parseConfigText(`${JSON.stringify({ releases: ['kilo'], dists: { 'epel-7': {} }, targets: { 'kilo/epel-7': { repo: 'https://example.org/kilo/el7/' } }, ...more })}\n`, 'sluice.yaml');
  assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.problems));
  return parsed.config;
}

const GERRIT = { url: 'https://review.example.org/', project: 'rdo-update', http: { user: 'sluice', password_env: 'P' } };
const hook = (url: string) => ({ webhooks: { chat: { url, secret_env: 'S' } }, rules: [{ name: 'team', webhooks: ['chat'] }] });

test('a reload applies a changed notify section (the new engine has its reporter); a changed Gerrit section still needs a restart', () => {
  const before = config({ gerrit: GERRIT, notify: hook('https://chat.example.org/a') });
  const notified = changedKeys(before, config({ gerrit: GERRIT, notify: hook('https://chat.example.org/b') }));
  assert.deepEqual(notified, ['notify']);
  assert.deepEqual(notified.filter((k) => RESTART_KEYS.includes(k)), []);
  const gerrit = changedKeys(before, config({ gerrit: { ...GERRIT, project: 'other' }, notify: hook('https://chat.example.org/a') }));
  assert.deepEqual(gerrit, ['gerrit', 'triggers']);
  assert.deepEqual(gerrit.filter((k) => RESTART_KEYS.includes(k)), ['triggers']);
});
