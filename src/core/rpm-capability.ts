import { compareEVR, parseEVR, type EVR } from './rpm-version.js';

/**
 * RPM capabilities as headers print them (`python-oslo-concurrency >= 1.8.0`, `libfoo.so.1()(64bit)`,
 * `/usr/bin/python`) and whether a provide satisfies a requirement, by rpm's own rule
 * (rpmdsCompare in lib/rpmds.c: the two ranges overlap). Pure: no I/O.
 */

export type Sense = '<' | '<=' | '=' | '>=' | '>';

export interface Capability {
  readonly name: string;
  /** Absent for an unversioned capability, which matches any version. */
  readonly sense?: Sense;
  readonly evr?: EVR;
}

const SENSES: readonly string[] = ['<', '<=', '=', '>=', '>'];

export function parseCapability(text: string): Capability {
  const parts = text.trim().split(/\s+/);
  if (parts.length === 3 && SENSES.includes(parts[1] as string)) {
    return { name: parts[0] as string, sense: parts[1] as Sense, evr: parseEVR(parts[2] as string) };
  }
  return { name: text.trim() };
}

/** A requirement rpm satisfies by itself (`rpmlib(...)`, `config(...)` of the same package): never an update's need. */
export function isRpmInternal(requirement: string): boolean {
  return /^rpmlib\(/.test(requirement);
}

/**
 * Does `provide` satisfy `require`? Names must match; an unversioned side matches any
 * version; otherwise the two ranges must overlap. A release missing on either side is not
 * compared (`>= 1.8.0` is met by `1.8.0-1.el7`), as rpm does.
 */
export function satisfies(provide: Capability, require: Capability): boolean {
  if (provide.name !== require.name) return false;
  if (!provide.sense || !provide.evr || !require.sense || !require.evr) return true;
  const p = provide.evr;
  const r = require.evr;
  const bothReleases = p.release !== '' && r.release !== '';
  const sense = compareEVR(bothReleases ? p : { ...p, release: '' }, bothReleases ? r : { ...r, release: '' });
  const less = (s: Sense) => s.includes('<');
  const greater = (s: Sense) => s.includes('>');
  const equal = (s: Sense) => s.includes('=');
  if (sense < 0) return greater(provide.sense) || less(require.sense);
  if (sense > 0) return less(provide.sense) || greater(require.sense);
  return (equal(provide.sense) && equal(require.sense)) || (less(provide.sense) && less(require.sense)) || (greater(provide.sense) && greater(require.sense));
}

/** The package name in dnf's `name-[epoch:]version-release.arch` (what `needed by` names). */
export function nameOfNevra(nevra: string): string {
  const m = /^(.+)-[^-]+-[^-]+$/.exec(nevra);
  return m?.[1] ?? nevra;
}
