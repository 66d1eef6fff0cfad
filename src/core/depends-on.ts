import { isSafeName } from './names.js';

/**
 * Declared dependencies between updates (docs/lifecycle.md, "Updates that need each other"):
 * Zuul's `Depends-On:` footer of a commit message, and what each value names. Pure.
 */

/** What a `Depends-On:` value or a `--with` names: an update by its id, or a Gerrit change by number. */
export type DependencyRef =
  | { readonly kind: 'update'; readonly id: string; readonly text: string }
  | { readonly kind: 'change'; readonly change: number; readonly text: string }
  | { readonly kind: 'unreadable'; readonly text: string };

const FOOTER = /^Depends-On:[ \t]*(\S.*?)\s*$/gim;

/**
 * Every `Depends-On:` line of a commit message, in order, without repeats. Zuul reads
 * them anywhere in the message, not only in the last paragraph, and so does this.
 */
export function dependsOnFooters(message: string): string[] {
  const out: string[] = [];
  for (const m of message.matchAll(FOOTER)) {
    const value = m[1] as string;
    if (!out.includes(value)) out.push(value);
  }
  return out;
}

/**
 * Reads one value: a bare update id (`hz8d`), or a Gerrit change URL in any of Gerrit's
 * forms (`https://review.example/c/openstack/nova-distgit/+/1234`, `.../#/c/1234/`,
 * `.../1234`), possibly with a patch set after the number.
 */
export function readDependencyRef(text: string): DependencyRef {
  const t = text.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(t)) {
    return isSafeName(t) && !/^\d+$/.test(t) ? { kind: 'update', id: t, text: t } : { kind: 'unreadable', text: t };
  }
  let url: URL;
  try {
    url = new URL(t);
  } catch {
    return { kind: 'unreadable', text: t };
  }
  const path = `${url.pathname}${url.hash.replace(/^#/, '')}`;
  const m = /\/\+\/(\d+)(?:\/\d+)?\/?$/.exec(path) ?? /\/c\/(\d+)(?:\/\d+)?\/?$/.exec(path) ?? /^\/(\d+)(?:\/\d+)?\/?$/.exec(url.pathname);
  return m?.[1] ? { kind: 'change', change: Number(m[1]), text: t } : { kind: 'unreadable', text: t };
}
