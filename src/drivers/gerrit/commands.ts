/**
 * Commands given in review comments: `recheck` runs phase1 again, `recheck failed` only
 * the targets of its latest run of this content that did not pass, `run phase2` starts
 * phase2. Gerrit puts a header before the text ("Patch Set 2: Code-Review+1"), which is
 * skipped; the command must then be the comment's first line, alone, so that a comment
 * that merely mentions the word, or quotes an earlier one ("> recheck"), commands nothing.
 */
export type CommentCommand = 'recheck' | 'recheck-failed' | 'phase2';

const PATCH_SET_HEADER = /^Patch Set \d+:.*$/;

export function parseCommand(comment: string): CommentCommand | undefined {
  const lines = comment.split(/\r?\n/);
  let i = 0;
  if (PATCH_SET_HEADER.test(lines[0] ?? '')) i = 1;
  // Gerrit may also put the count of inline comments before the text: "(2 comments)".
  while (i < lines.length && /^(\(\d+ (inline )?comments?\))?$/.test((lines[i] ?? '').trim())) i++;
  const first = (lines[i] ?? '').trim().toLowerCase();
  if (first === 'recheck') return 'recheck';
  if (/^recheck\s+failed$/.test(first)) return 'recheck-failed';
  if (/^run\s+phase2$/.test(first)) return 'phase2';
  return undefined;
}
