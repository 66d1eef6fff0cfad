import type { BuiltinCheck } from '../../core/config-schema.js';
import type { Check } from './check.js';
import { conflicts } from './conflicts.js';
import { installable } from './installable.js';
import { upgrade } from './upgrade.js';

export type { Check, CheckInput, CheckResult, CheckStatus } from './check.js';

/**
 * The checks a target's pipeline can name beside its own test commands: one for each name
 * the configuration accepts (core's list), and no other, which the compiler holds.
 */
export const BUILTIN_CHECKS = { installable, upgrade, conflicts } as const satisfies Record<BuiltinCheck, Check>;

export type BuiltinCheckName = keyof typeof BUILTIN_CHECKS;

export function isBuiltinCheck(name: string): name is BuiltinCheckName {
  return Object.hasOwn(BUILTIN_CHECKS, name);
}
