import { z } from 'zod';
import { CAPACITY } from '../../../core/config-schema.js';
import type { NodeProvider } from '../../../engine/node-provider.js';
import { probeBwrap } from './bwrap-probe.js';
import { localProvider } from './local-provider.js';
import type { Isolation } from './sandbox.js';

/** The local provider's own keys in `providers.<name>` (the core owns `type` and `capacity`). */
export const LocalProviderSchema = z.strictObject({
  type: z.literal('local'),
  capacity: CAPACITY,
  isolation: z.enum(['auto', 'bwrap', 'none'], { error: 'isolation must be auto, bwrap or none' }).default('auto')
    .meta({ description: 'Run each command in a bwrap sandbox (`bwrap`), unconfined (`none`), or in bwrap when it is on PATH and works (`auto`).' }),
  network: z.boolean({ error: 'network must be true or false' }).default(true)
    .meta({ description: 'false: sandboxed jobs get a network namespace with only a loopback interface.' }),
});

export interface LocalProviderContext {
  readonly workDir: string;
  readonly configDir: string;
  readonly imagesDir?: string;
  /** Told once when `auto` finds no usable bwrap. */
  readonly log?: (line: string) => void;
  /** Where bwrap is looked for; the worker's PATH by default. */
  readonly path?: string;
}

export type LocalProviderResult =
  | { readonly ok: true; readonly provider: NodeProvider; readonly isolation: Isolation }
  | { readonly ok: false; readonly key: string; readonly message: string };

const KEYS = 'type, capacity, isolation, network';
let toldUnisolated = false;

/** Validates a provider entry of type local and makes the provider, its sandbox settled. */
export function localProviderFromConfig(name: string, raw: unknown, ctx: LocalProviderContext): LocalProviderResult {
  const parsed = LocalProviderSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue?.code === 'unrecognized_keys') return { ok: false, key: issue.keys.join(', '), message: `not a key of a local provider (${KEYS})` };
    return { ok: false, key: issue?.path.map(String).join('.') || '(provider)', message: issue?.message ?? 'invalid' };
  }
  const c = parsed.data;
  let isolation: Isolation = { kind: 'none' };
  if (c.isolation !== 'none') {
    const probe = probeBwrap(ctx.path ?? process.env.PATH ?? '', c.network);
    if (probe.ok) {
      isolation = { kind: 'bwrap', bwrap: probe.bwrap, network: c.network };
    } else if (c.isolation === 'bwrap') {
      return { ok: false, key: 'isolation', message: `bwrap was asked for, but ${probe.why}` };
    } else if (!toldUnisolated) {
      toldUnisolated = true;
      ctx.log?.(`providers.${name}: jobs run without isolation: ${probe.why}`);
    }
  }
  if (isolation.kind === 'none' && !c.network) {
    return { ok: false, key: 'network', message: 'network: false needs isolation by bwrap, which is not in use here' };
  }
  const provider = localProvider({
    name, capacity: c.capacity, workDir: ctx.workDir, configDir: ctx.configDir, isolation,
    ...(ctx.imagesDir !== undefined ? { imagesDir: ctx.imagesDir } : {}),
  });
  return { ok: true, provider, isolation };
}
