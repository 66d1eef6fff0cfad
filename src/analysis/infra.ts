import { DEFAULT_INFRA_RULES, type InfraCertainty, type InfraRule } from './infra-rules.js';

export { DEFAULT_INFRA_RULES, type InfraCertainty, type InfraRule } from './infra-rules.js';

/**
 * Whether a failed job's log says the infrastructure failed rather than the update: a pure
 * function over lines (an excerpt's, whose `matched` tells test failures apart, or any).
 *
 * Precedence, strongest first:
 * 1. A line that is a test's own verdict or assertion is never evidence of infrastructure:
 *    `AssertionError: 503 != 200` is the test's business, whatever number it quotes.
 * 2. A `certain` signature (the node unreachable, the OOM killer, a full disk, a kernel
 *    panic, no cloud capacity) makes the job infra, even if tests failed too: they failed
 *    because the machine went away. If the update itself exhausted the machine, the retries
 *    on fresh nodes fail the same way and the run ends in `error` (recheck), never in a pass.
 * 3. A `likely` signature (DNS, a mirror's 5xx, a reset connection) makes the job infra only
 *    when no test failed: a test that ran and failed got far enough for the network to work,
 *    and may well be asserting on a 503 of its own making, so that case stays the update's.
 * 4. Otherwise the job is not infra.
 * Among signatures of equal weight, the first in the log wins: later ones are usually its
 * consequences.
 */
export interface ClassifiableLine {
  readonly n: number;
  readonly text: string;
  /** `set/name` of the excerpt pattern the line matched, if any. */
  readonly matched?: string;
}

export interface InfraMatch {
  readonly rule: string;
  readonly certainty: InfraCertainty;
  readonly description: string;
  readonly line: { readonly n: number; readonly text: string };
}

export type InfraVerdict =
  | { readonly infra: true; readonly match: InfraMatch }
  | { readonly infra: false; readonly overruled?: InfraMatch; readonly why: string };

interface CompiledRule { readonly rule: InfraRule; readonly regex: RegExp }

// Test result lines of the common runners (unittest, pytest, stestr, subunit v1, TAP,
// harnesses reporting unexpected results), for lines that come without `matched`.
const TEST_FAILURE = /^(?:FAIL|ERROR): \S+ \(|^(?:FAILED|ERROR) \S+::|\.\.\. (?:FAILED|ERROR)$|^(?:failure|error|uxsuccess): \S+(?: \[(?: multipart)?)?$|^not ok \d+|\bUNEXPECTED[-_ ]FAIL/;
// An assertion or a pytest `E   ` line: what a test says, not what happened to the node.
const ASSERTION = /\bassert|^\s*E {3}\S/i;

export function compileInfraRules(rules: readonly InfraRule[]): readonly CompiledRule[] {
  return rules.map((rule) => ({ rule, regex: new RegExp(rule.pattern, rule.ignoreCase ? 'i' : '') }));
}

const compiledDefaults = compileInfraRules(DEFAULT_INFRA_RULES);

export function classifyInfra(lines: readonly ClassifiableLine[], rules: readonly InfraRule[] | readonly CompiledRule[] = compiledDefaults): InfraVerdict {
  const compiled = rules.length > 0 && 'regex' in (rules[0] as object) ? (rules as readonly CompiledRule[]) : compileInfraRules(rules as readonly InfraRule[]);
  const testsFailed = lines.some((l) => (l.matched?.startsWith('tests/') ?? false) || TEST_FAILURE.test(l.text.trim()));
  let certain: InfraMatch | undefined;
  let likely: InfraMatch | undefined;
  for (const l of lines) {
    if (ASSERTION.test(l.text) || TEST_FAILURE.test(l.text.trim())) continue;
    for (const { rule, regex } of compiled) {
      if (!regex.test(l.text)) continue;
      const match: InfraMatch = { rule: rule.name, certainty: rule.certainty, description: rule.description, line: { n: l.n, text: l.text } };
      if (rule.certainty === 'certain') certain ??= match;
      else likely ??= match;
      break;
    }
  }
  if (certain) return { infra: true, match: certain };
  if (likely && !testsFailed) return { infra: true, match: likely };
  if (likely) return { infra: false, overruled: likely, why: 'tests ran and failed, so a network or mirror error may be their own doing' };
  return { infra: false, why: 'no infrastructure failure is recognised' };
}
