import { formatProblem } from '../../core/problem.js';
import { parseUpdateBytes } from '../../core/update-file.js';
import { updateSummary, topicMatches } from '../../core/update-summary.js';
import { isSafeName } from '../../core/names.js';
import type { FileEntry } from './rest.js';

/**
 * The checks `rdoupdate check -g` made on a review before anything was tested: the change
 * adds or modifies exactly one update file, in updates/; its commit subject is `New <id>`
 * (`Update <id>` also for a file that existed); its Gerrit topic is the update's summary,
 * as `rdopkg update` set it. Each failure is a sentence for the review comment.
 */

export type ChangeProblem = { readonly what: 'files' | 'subject' | 'topic' | 'update'; readonly message: string };

export type FilesCheck =
  | { readonly ok: true; readonly path: string; readonly id: string }
  | { readonly ok: false; readonly problems: readonly ChangeProblem[] };

const UPDATE_PATH = /^updates\/([^/]+)\.yml$/;

/** The change's files and subject; passing gives the one update file to fetch. */
export function checkChangeFiles(files: readonly FileEntry[], subject: string): FilesCheck {
  if (files.length !== 1) {
    const listed = files.length === 0 ? 'none' : files.map((f) => `${f.path} (${statusWord(f.status)})`).join(', ');
    return { ok: false, problems: [{ what: 'files', message: `a change must add or modify exactly one update file; this one touches ${files.length}: ${listed}` }] };
  }
  const file = files[0] as FileEntry;
  if (file.status !== 'A' && file.status !== 'M') {
    return { ok: false, problems: [{ what: 'files', message: `${file.path} is ${statusWord(file.status)}: a change must add or modify an update file` }] };
  }
  const m = UPDATE_PATH.exec(file.path);
  const id = m?.[1];
  if (id === undefined || !isSafeName(id)) {
    return { ok: false, problems: [{ what: 'files', message: `${file.path} is not an update file: submit updates/<id>.yml, as rdopkg update writes it` }] };
  }
  const subjects = file.status === 'A' ? [`New ${id}`] : [`New ${id}`, `Update ${id}`];
  if (!subjects.includes(subject.trim())) {
    return { ok: false, problems: [{ what: 'subject', message: `the commit subject must be "${subjects.join('" or "')}", not "${subject}"` }] };
  }
  return { ok: true, path: file.path, id };
}

/** The file's own validity and the topic; the run's plan checks targets against the configuration. */
export function checkChangeUpdate(bytes: Uint8Array, path: string, topic: string | undefined): readonly ChangeProblem[] {
  const parsed = parseUpdateBytes(bytes, path);
  if (!parsed.ok) return parsed.problems.filter((p) => p.severity === 'error').map((p) => ({ what: 'update', message: formatProblem(p) }));
  const expected = updateSummary(parsed.update.builds);
  if (topic === undefined) {
    return [{ what: 'topic', message: `the change has no topic: set it to "${expected}" (git review -t ${expected}, or the topic field in Gerrit)` }];
  }
  if (!topicMatches(topic, parsed.update.builds)) {
    return [{ what: 'topic', message: `the topic "${topic}" does not match the update: expected "${expected}" (a release's dists in any order)` }];
  }
  return [];
}

function statusWord(status: FileEntry['status']): string {
  switch (status) {
    case 'A': return 'added';
    case 'M': return 'modified';
    case 'D': return 'deleted';
    case 'R': return 'renamed';
    case 'C': return 'copied';
    case 'W': return 'rewritten';
  }
}
