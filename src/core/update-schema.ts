import { z } from 'zod';
import { ARCHES, NAME_RULE, NVR_RULE, TARGET_PART_RULE, hasControlCharacter, isNvr, isSafeName, isTargetPart } from './names.js';

/**
 * The update file written by `rdopkg update`, by the rules rdoupdate applied in 2015
 * (lax where they were lax: unknown keys are warned about, not refused). This schema is
 * the single source of the TypeScript types, the JSON Schema and docs/update-format.md.
 */

export const MAX_NOTES_CHARS = 65536;
export const MAX_BUILDS = 1000;
export const MAX_DEPENDS_ON = 50;
export const DEFAULT_SOURCE = 'koji';
export const DEFAULT_ARCH = 'noarch';
/** koji-scratch builds are Koji task numbers, so YAML reads their ids as integers. */
export const SCRATCH_SOURCE = 'koji-scratch';
const SCRATCH_TASK = /^[1-9][0-9]{0,15}$/;

/** Messages for a value of the wrong type: missing, empty (`key:` with nothing after it) or other. */
const typeError = (what: string, expected: string) => (iss: { input?: unknown }) =>
  iss.input === undefined ? `${what} is required` : iss.input === null ? `${what} is empty: give ${expected}` : `${what} must be ${expected}`;

const safeName = (what: string) =>
  z.string({ error: typeError(what, 'text') })
    .refine(isSafeName, { error: `${what} must be ${NAME_RULE}, with no ".."` });

const targetPart = (what: string) =>
  z.string({ error: typeError(what, 'text') })
    .refine(isTargetPart, { error: `${what} must be ${TARGET_PART_RULE}, with no ".."` });

const archList = z.string({ error: 'arch must be text such as "x86_64" or "noarch, x86_64"' })
  .refine(
    (s) => s.split(',').map((a) => a.trim()).every((a) => (ARCHES as readonly string[]).includes(a)),
    { error: `arch must be a comma-separated list of: ${ARCHES.join(', ')}` },
  );

export const BuildSchema = z.object({
  id: z.union([z.string().refine((s) => isNvr(s) || SCRATCH_TASK.test(s), { error: `id must be ${NVR_RULE}` }), z.int().positive()], {
    error: (iss) => (iss.input === undefined ? 'id is required' : `id must be ${NVR_RULE}, or a Koji task number for source: ${SCRATCH_SOURCE}`),
  }).meta({ description: `The build: ${NVR_RULE}; for \`source: ${SCRATCH_SOURCE}\`, the Koji task number (an integer).` }),
  repo: targetPart('repo (the release)').meta({ description: 'The release the build is for, e.g. `kilo`.' }),
  dist: targetPart('dist').meta({ description: 'The distribution, e.g. `epel-7` or its alias `el7` (aliases come from the configuration).' }),
  source: safeName('source').default(DEFAULT_SOURCE)
    .meta({ description: `Where the build's RPMs come from: a build source named in the configuration (\`koji\`, \`cbs\`, \`copr-jruzicka\`, \`${SCRATCH_SOURCE}\`...). Default \`${DEFAULT_SOURCE}\`.` }),
  tag: safeName('tag').optional()
    .meta({ description: 'A sub-directory of the release/dist repository the RPMs go to, e.g. `temp-liberty`.' }),
  arch: archList.default(DEFAULT_ARCH)
    .meta({ description: `Which RPM architectures to take, comma-separated (${ARCHES.join(', ')}). Default \`${DEFAULT_ARCH}\`; source RPMs are always kept.` }),
}, { error: 'a build is a mapping with id, repo and dist' }).superRefine((b, ctx) => {
  if (b.source === SCRATCH_SOURCE) {
    const task = typeof b.id === 'number' ? b.id : SCRATCH_TASK.test(b.id) ? Number(b.id) : NaN;
    if (!Number.isSafeInteger(task)) ctx.addIssue({ code: 'custom', path: ['id'], message: `id of a ${SCRATCH_SOURCE} build must be the Koji task number` });
  } else if (typeof b.id === 'number') {
    ctx.addIssue({ code: 'custom', path: ['id'], message: `id ${b.id} is a number: a Koji task number needs source: ${SCRATCH_SOURCE}; otherwise give ${NVR_RULE}` });
  } else if (SCRATCH_TASK.test(b.id)) {
    // Digits alone pass the field's own check for koji-scratch's sake; elsewhere they are no NVR.
    ctx.addIssue({ code: 'custom', path: ['id'], message: `id ${b.id} is a Koji task number: that needs source: ${SCRATCH_SOURCE}; otherwise give ${NVR_RULE}` });
  }
});

export const UpdateFileSchema = z.object({
  notes: z.string({ error: typeError('notes', 'text describing the update (quote it if it looks like a number)') })
    .refine((s) => s.trim() !== '', { error: 'notes must not be empty: describe the update' })
    .refine((s) => s.length <= MAX_NOTES_CHARS, { error: `notes is longer than ${MAX_NOTES_CHARS} characters` })
    .refine((s) => !hasControlCharacter(s), { error: 'notes must not contain control characters (a NUL, an escape...) other than tabs and newlines' })
    .meta({ description: 'What the update changes and why (shown in reviews and commit messages). Required, non-empty.' }),
  builds: z.array(BuildSchema, { error: typeError('builds', 'a list of builds') })
    .min(1, { error: 'builds must list at least one build' })
    .max(MAX_BUILDS, { error: `builds lists more than ${MAX_BUILDS} builds` })
    .meta({ description: 'The builds of the update, one entry per build and target. Required, non-empty.' }),
  group: z.string({ error: 'group must be text' })
    .refine((s) => isSafeName(s), { error: `group must be ${NAME_RULE} (it names a folder)` })
    // The group replaces ready/; naming another step of the ladder would skip a gate.
    .refine((s) => !['updates', 'pushed', 'failed'].includes(s), { error: 'group must not name updates, pushed or failed: those folders are steps of the ladder' })
    .optional()
    .meta({ description: 'Optional: the folder the update is moved to instead of `ready/`.' }),
  depends_on: z.array(
    z.string({ error: 'each entry of depends_on is an update id (text), e.g. hz8d' })
      .refine((s) => isSafeName(s) && !/^\d+$/.test(s), { error: `an entry of depends_on is an update id: ${NAME_RULE}, e.g. hz8d` }),
    { error: 'depends_on must be a list of update ids, e.g. [hz8d]' },
  ).max(MAX_DEPENDS_ON, { error: `depends_on lists more than ${MAX_DEPENDS_ON} updates` }).optional()
    .meta({ description: 'Optional: the ids of other updates this one needs (still in `updates/`, `ready/` or submitted); phase1 tests it together with their builds (docs/lifecycle.md, "Updates that need each other"). `rdopkg` and rdoupdate ignore the key.' }),
}).meta({ title: 'Sluice update file', description: 'An update file as written by `rdopkg update`.' });

export type Build = z.output<typeof BuildSchema>;
export type UpdateFileData = z.output<typeof UpdateFileSchema>;

export const KNOWN_UPDATE_KEYS: readonly string[] = Object.keys(UpdateFileSchema.shape);
export const KNOWN_BUILD_KEYS: readonly string[] = Object.keys(BuildSchema.shape);
