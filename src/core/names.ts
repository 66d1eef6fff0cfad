/**
 * The shapes of names that reach paths, URLs, Gerrit topics and command environments.
 * Restricting characters at the edge is what keeps `../` and `$(...)` out of everything
 * downstream: no later code needs to quote a release, dist, tag or build id.
 */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;
export const NAME_RULE = 'letters, digits, ".", "_", "+" and "-", starting with a letter or digit, at most 64';

/** name-version-release, as Koji names builds; the last two dashes split it. */
export const NVR_PATTERN = /^[A-Za-z0-9_+][A-Za-z0-9._+-]*-[A-Za-z0-9._+~^]+-[A-Za-z0-9._+~^]+$/;
export const NVR_RULE = 'an NVR such as openstack-nova-2014.1.4-2.el7 (name-version-release; letters, digits and . _ + ~ ^ -)';

export const MAX_NVR_LENGTH = 255;

/** RPM architectures a build may be filtered to; `src` is always kept besides. */
export const ARCHES = ['noarch', 'src', 'x86_64', 'i686', 'i386', 'aarch64', 'armv7hl', 'ppc64le', 'ppc64', 's390x'] as const;
export type Arch = (typeof ARCHES)[number];

/**
 * Releases and dists also meet in Gerrit topics (`kilo_f22_el7`), where "_" separates
 * them, so they may not contain one.
 */
export const TARGET_PART_PATTERN = /^[A-Za-z0-9][A-Za-z0-9.+-]{0,63}$/;
export const TARGET_PART_RULE = 'letters, digits, ".", "+" and "-", starting with a letter or digit, at most 64';

/**
 * An author's name becomes a git commit's author, where "<" and ">" delimit the email and a
 * control character (a newline, a NUL) is refused: checked where it arrives, not at merge time.
 */
export const AUTHOR_NAME_RULE = 'text without "<", ">" or control characters';

export function isAuthorName(s: string): boolean {
  return s.trim() !== '' && !/[<>]/.test(s) && ![...s].some(isControl);
}

/** Control characters other than tab and newline: free text with one cannot be stored (PostgreSQL refuses NUL) or shown faithfully. */
export function hasControlCharacter(s: string): boolean {
  return [...s].some((c) => c !== '\t' && c !== '\n' && isControl(c));
}

function isControl(c: string): boolean {
  const code = c.charCodeAt(0);
  return code < 0x20 || code === 0x7f;
}

export function isTargetPart(s: string): boolean {
  return TARGET_PART_PATTERN.test(s) && !s.includes('..');
}

export function isSafeName(s: string): boolean {
  return NAME_PATTERN.test(s) && !s.includes('..');
}

export function isNvr(s: string): boolean {
  return s.length <= MAX_NVR_LENGTH && NVR_PATTERN.test(s) && !s.includes('..');
}

/** Splits an NVR into its parts; undefined if it is not one. */
export function splitNvr(s: string): { name: string; version: string; release: string } | undefined {
  if (!isNvr(s)) return undefined;
  const r = s.lastIndexOf('-');
  const v = s.lastIndexOf('-', r - 1);
  return { name: s.slice(0, v), version: s.slice(v + 1, r), release: s.slice(r + 1) };
}
