import { Cron } from 'croner';
import { z } from 'zod';
import { orList, type ConfigDrivers, type DriverDeclaration, type ProviderDeclaration, type SourceDeclaration } from './driver-declaration.js';
import { BYTE_SIZE_RULE, parseByteSize } from './byte-size.js';
import { DURATION_RULE, parseDuration } from './duration.js';
import { PIPELINES } from './records/vocabulary.js';
import { APPROVAL_MODES } from './promote-gates.js';
import { NAME_RULE, TARGET_PART_RULE, isSafeName, isTargetPart } from './names.js';

/**
 * `sluice.yaml`: written by operators, so unlike update files it is strict: an unknown key
 * is an error (a typo in `must_provision` must not silently let an installer update use an
 * image). The single source of the config types, its JSON Schema and docs/configuration.md.
 */

const name = (what: string) => z.string({ error: `${what} must be text` }).refine(isSafeName, { error: `${what} must be ${NAME_RULE}` });
const targetPart = (what: string) => z.string({ error: `${what} must be text` }).refine(isTargetPart, { error: `${what} must be ${TARGET_PART_RULE}` });
export const url = (what: string) => z.url({ protocol: /^(https?|file|rsync)$/, error: `${what} must be a URL (http, https, file or rsync)` });

export const duration = z.string({ error: `must be ${DURATION_RULE}` })
  .refine((s) => parseDuration(s) !== undefined, { error: `must be ${DURATION_RULE}` });

const cron = z.string({ error: 'a schedule is a cron expression such as "0 3 * * *"' }).refine((s) => {
  try { new Cron(s, { paused: true }); return true; } catch { return false; }
}, { error: 'not a valid cron expression (minute hour day-of-month month day-of-week), e.g. "0 3 * * *"' });

/** A shell command line, run by /bin/sh on the node; update details arrive as environment variables, never spliced in. */
const command = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)], { error: 'a test command is a shell command line, or a list of them run in order' });

/** Checks Sluice runs itself on the update's RPMs before the test commands (docs/checks.md). */
export const BUILTIN_CHECKS = ['conflicts', 'upgrade', 'installable'] as const;
export type BuiltinCheck = (typeof BUILTIN_CHECKS)[number];
const checks = z.array(z.enum(BUILTIN_CHECKS, { error: `a built-in check is one of ${BUILTIN_CHECKS.join(', ')}` }));

/** The most nodes one job may hold at once (roles of a multi-node job). */
export const MAX_JOB_NODES = 4;
const ROLE_RULE = /^[a-z][a-z0-9_]{0,30}$/;
/** A multi-node job: each role's command runs on its own node, all at once (docs/providers.md, "Multi-node jobs"). */
const nodes = z.record(
  z.string(),
  z.strictObject({ test: command.meta({ description: 'The command(s) this role runs on its node.' }) }, { error: 'a role is a map: { test }' }),
).superRefine((r, ctx) => {
  for (const role of Object.keys(r)) {
    // The role becomes part of a variable name ($SLUICE_NODE_<ROLE>_IP): nothing else fits there.
    if (!ROLE_RULE.test(role)) ctx.addIssue({ code: 'custom', path: [role], message: `a role is a lowercase name (letters, digits, _), e.g. controller, not "${role}"` });
  }
  const n = Object.keys(r).length;
  if (n < 2 || n > MAX_JOB_NODES) ctx.addIssue({ code: 'custom', message: `nodes names 2 to ${MAX_JOB_NODES} roles; a one-node job uses test` });
});

/** The longest `pipelines.phase2.window`: a window delays every update that opens it. */
export const MAX_PHASE2_WINDOW_MS = 86_400_000;

/** How phase2 and promote start: on their `schedules` only, or also by themselves as soon as there is something new. */
export const LADDER_MODES = ['scheduled', 'continuous'] as const;
export type LadderMode = (typeof LADDER_MODES)[number];

export const PipelineSchema = z.strictObject({
  checks: checks.default([]).meta({ description: 'Built-in checks run on the update\'s RPMs before the test commands: conflicts, upgrade, installable (docs/checks.md).' }),
  test: command.optional().meta({ description: 'The test command(s) a job of this pipeline runs on its node.' }),
  timeout: duration.default('2h').meta({ description: 'A job running longer is killed (its whole process group) and ends as `timeout`.' }),
  retries: z.int().min(0).max(10).default(2).meta({ description: 'How often an `infra` result (node lost, provisioning failed) is retried on a fresh node.' }),
  repo_gpgcheck: z.boolean().default(false).meta({ description: 'gpgcheck in the repository files written on the node ($SLUICE_UPDATE_REPO_FILE...): builds under test are usually not signed yet.' }),
  repo_gpgkey: z.string().min(1).optional().meta({ description: 'gpgkey of those repository files (a URL the node can read), when repo_gpgcheck is on.' }),
  collect: z.array(z.string().min(1).refine((g) => g.startsWith('/') && !g.includes('\0'), { error: 'a collect glob is an absolute path on the node, e.g. /var/log/nova/*.log' })).default([])
    .meta({ description: 'Files on the node brought back beside the job log after the commands, pass or fail (globs, e.g. `/var/log/nova/*.log`).' }),
  collect_max_mb: z.int().min(0).max(10_000).default(50).meta({ description: 'At most this many MiB of the collected files are brought back per job (the rest is listed, not copied).' }),
  window: duration.refine((s) => (parseDuration(s) ?? 0) <= MAX_PHASE2_WINDOW_MS, { error: 'a window is at most 1d: an update waits for it' }).optional()
    .meta({ description: 'phase2 only, with `ladder: continuous`: how long phase2 waits for more updates once updates/ holds one no phase2 tested, counted from that first one (more arriving do not extend it), so a burst is tested in one batch (docs/schedules.md). Unset: phase2 starts at once.' }),
  // Updates that need each other (docs/lifecycle.md): what phase1 tests an update on top of.
  base: z.enum(['production', 'updates']).default('production')
    .meta({ description: 'phase1 only: test each update against production alone (`production`), or on top of everything already in `updates/` (`updates`); updates it declares or is found to need are added either way.' }),
  infer_dependencies: z.boolean().default(true)
    .meta({ description: 'phase1 only, with the `installable` check: when it finds an update\'s RPMs require something production lacks and a pending update (`updates/`, `ready/`, submitted) provides it, test them together and say so.' }),
  nodes: nodes.optional().meta({ description: 'A multi-node job instead of `test` (phase1, phase2): `{ controller: { test: ... }, tempest: { test: ... } }`, each role on its own node, leased together; every node gets the others\' addresses ($SLUICE_NODE_<ROLE>_IP).' }),
}).refine((p) => !(p.nodes && p.test !== undefined), { error: 'a pipeline has either test (one node) or nodes (one command per role), not both', path: ['nodes'] });
export { PIPELINES };
export type { Pipeline as PipelineName } from './records/vocabulary.js';

const PipelineOverrideSchema = z.strictObject({
  checks: checks.optional().meta({ description: 'This target\'s own built-in checks, instead of the pipeline\'s.' }),
  test: command.optional().meta({ description: 'This target\'s own test command(s), instead of the pipeline\'s.' }),
  timeout: duration.optional().meta({ description: 'This target\'s own job timeout.' }),
  retries: z.int().min(0).max(10).optional().meta({ description: 'This target\'s own number of infra retries.' }),
  nodes: nodes.optional().meta({ description: 'This target\'s own roles of a multi-node job, instead of the pipeline\'s test or nodes.' }),
});

export const TargetSchema = z.strictObject({
  repo: url('repo').meta({ description: 'The production repository of this target, e.g. `https://repos.fedorapeople.org/repos/openstack/openstack-kilo/el7/`.' }),
  base: z.string().min(1).optional().meta({ description: 'What a node for this target is provisioned from (a cloud image, a host group).' }),
  image: z.string().min(1).optional().meta({ description: 'A known-good image to boot phase1 nodes from; recorded by the images pipeline when absent.' }),
  provider: name('provider').default('local').meta({ description: 'The provider nodes come from (a key of `providers`).' }),
  pipelines: z.partialRecord(z.enum(PIPELINES), PipelineOverrideSchema).default({}).meta({ description: 'Per-pipeline overrides of `test`, `timeout`, `retries` for this target.' }),
});

/** Capacity is the one key every provider has: the engine leases that many nodes of it. */
export const CAPACITY = z.int().min(1).max(10000).default(2).meta({ description: 'At most this many nodes at once.' });

/** `local` (processes here), `sim` (simulated)...: the types of a kind of driver, for the docs. */
function typesWithSummaries(drivers: readonly DriverDeclaration[]): string {
  return drivers.map((d) => (d.summary ? `\`${d.type}\` (${d.summary})` : `\`${d.type}\``)).join(', ');
}

/**
 * An entry of `providers`: the core knows `type` and `capacity`; the rest of the entry is
 * the driver's, checked by its own schema once the common keys are right (so a bad
 * capacity is said once). The entry keeps its own keys for the driver to read.
 */
function providerEntry(providers: readonly ProviderDeclaration[]) {
  const types = providers.map((p) => p.type);
  return z.looseObject({
    type: z.enum(types, { error: `provider type must be ${orList(types)}` })
      .meta({ description: `The driver: ${typesWithSummaries(providers)}.` }),
    capacity: CAPACITY,
  }).check(z.superRefine((entry, ctx) => {
    const driver = providers.find((p) => p.type === entry.type);
    const own = driver?.configSchema.safeParse(entry);
    for (const issue of own && !own.success ? own.error.issues : []) ctx.addIssue({ ...issue });
  }, { when: (payload) => payload.issues.length === 0 }));
}
export type ProviderConfig = z.output<ReturnType<typeof providerEntry>>;

/** An entry of `sources`: one of the drivers' schemas, told apart by `type`. */
function sourceEntry(sources: readonly SourceDeclaration[]) {
  const types = sources.map((s) => s.type);
  const description = `The kind of source: ${typesWithSummaries(sources)}.`;
  // Every kind's `type` carries the list, so the docs' one row of sources.*.type shows it.
  const [first, ...rest] = sources.map((s) => s.configSchema.safeExtend({ type: z.literal(s.type).meta({ description }) }));
  if (!first) return z.never({ error: 'no kind of source is known' });
  return z.discriminatedUnion('type', [first, ...rest], { error: `a source has type ${orList(types)}` });
}
/** An entry of `sources`, checked by its driver's schema; the driver reads it through that schema again. */
export type SourceConfig = Readonly<Record<string, unknown>>;

export const DistSchema = z.strictObject({
  aliases: z.array(targetPart('alias')).default([]).meta({ description: 'Other spellings of this dist in update files, e.g. `el7` for `epel-7`.' }),
});

export const EngineSchema = z.strictObject({
  lease: duration.default('30s').meta({ description: 'Job and node leases last this long unless the worker\'s heartbeat renews them: after a crash, its jobs are retried this much later.' }),
  poll: duration.default('1s').meta({ description: 'How often an idle worker looks for work when no wake-up hint reaches it.' }),
  sweep: duration.default('15s').meta({ description: 'How often a worker reclaims the expired leases of dead workers.' }),
  semaphores: z.record(
    z.string().regex(/^(phase1|phase2|promote|images)(\/(image|provision|checks))?$/, { error: 'a semaphore is named for a job class: phase1, phase1/image, phase1/provision, phase2, phase2/checks, phase2/provision, promote...' }),
    z.int().min(1).max(10000),
  ).default({}).meta({ description: 'Caps on how many jobs of a class run at once across all workers, e.g. `phase1/provision: 2` (provisioning is heavy on the installer mirrors).' }),
  interrupted_attempts: z.int().min(0).max(100).default(3).meta({ description: 'How many of a job\'s attempts lost to the death of their worker (a crash, a SIGKILL, a restart without drain: its lease expired) are given back instead of spending one of its infra `retries`; past that, a job that keeps killing its worker ends as infra.' }),
  retry_backoff: duration.default('10s').meta({ description: 'An infra retry waits this long times the attempts spent, so a broken cloud is not hammered.' }),
  leader_lease: duration.default('10s').meta({ description: 'Of the `sluice serve` processes sharing a store, one leads: it alone runs the schedules and the triggers (Gerrit), and holds a lease this long, renewed every `leader_renew`. When it dies, another takes over within this plus `leader_renew` (docs/schedules.md).' }),
  leader_renew: duration.default('2s').meta({ description: 'How often the leader renews its lease, and how often a follower looks whether the lease expired; shorter than `leader_lease`.' }),
}).refine((e) => (parseDuration(e.leader_renew) ?? 0) < (parseDuration(e.leader_lease) ?? 0), { error: 'engine.leader_renew must be shorter than engine.leader_lease: the leader renews its lease before it expires', path: ['leader_renew'] });

// --- promote.mirrors (docs/promote.md, "Remote mirrors") ---
/** A remote host that replicates production over rsync and ssh; its key and known hosts are files, never secrets in this file. */
export const MirrorSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: 'a mirror name is letters, digits, ".", "_" and "-"' }).meta({ description: 'What reports and the journal call it.' }),
  host: z.string().regex(/^(?:[A-Za-z0-9][A-Za-z0-9.-]*|\[[0-9A-Fa-f:.]+\])$/, { error: 'host must be a host name, an IPv4 address or an [IPv6] address' }).meta({ description: 'The host ssh connects to.' }),
  port: z.int().min(1).max(65535).default(22).meta({ description: 'Its ssh port.' }),
  user: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, { error: 'user must be a user name' }).meta({ description: 'The user ssh logs in as; it owns `path`.' }),
  path: z.string().regex(/^\/[^\0\n\r]*[^/\0\n\r]$/, { error: 'path must be an absolute directory on the mirror, not /' })
    .refine((p) => !p.split('/').some((part) => part === '.' || part === '..'), { error: 'path must not hold . or .. parts' })
    .meta({ description: 'The mirror\'s production root on that host (absolute): it gets the same `<release>/<dist>` links and `.trees/` as `promote.production`.' }),
  key_file: z.string().regex(/^[^"'\\%\0\n\r]+$/, { error: 'key_file must be a path without quotes, backslashes or %' }).optional()
    .meta({ description: 'The private key ssh logs in with, relative to the config file; default: ssh\'s own (~/.ssh/id_*).' }),
  known_hosts_file: z.string().regex(/^[^"'\\%\0\n\r]+$/, { error: 'known_hosts_file must be a path without quotes, backslashes or %' }).optional()
    .meta({ description: 'The known hosts file holding the mirror\'s host key, relative to the config file; default: ~/.ssh/known_hosts. An unknown or changed key is refused.' }),
});
export type MirrorConfig = z.output<typeof MirrorSchema>;
// --- end promote.mirrors ---

export const PromoteSchema = z.strictObject({
  stage: z.string().min(1).default('.sluice/stage').meta({ description: 'Where promote composes each target\'s stage tree (production plus the ready/ builds), relative to the config file.' }),
  production: z.string().min(1).default('production').meta({ description: 'The production trees: `<production>/<release>/<dist>` is a symlink swapped atomically to each new tree (docs/promote.md), relative to the config file.' }),
  sign: command.optional().meta({ description: 'A signing hook run on the staged RPMs before the stage is tested; it gets their paths in `$SLUICE_RPMS` (one per line), never on its command line.' }),
  keep: z.int().min(1).max(100).default(2).meta({ description: 'How many previous production trees of each target are kept for rollback.' }),
  // Gates before production (issue 19, docs/promote.md "Gates before production"): both optional, absent = no gate.
  approval: z.enum(APPROVAL_MODES, { error: `approval is ${orList([...APPROVAL_MODES])}` }).optional().meta({ description: '`required`: once stage is composed and tested, promote waits (without holding a node) until a person with the release role approves the exact set of updates it would publish (`sluice approve RUN`, the API or the run page); absent or `none`: it publishes at once.' }),
  min_soak: duration.optional().meta({ description: 'An update is promoted only after it has been in ready/ this long (Bodhi\'s time in testing), counted from the commit that last wrote its file there; a younger one stays in ready/ for a later promote, with the reason, e.g. `1d`.' }),
  mirrors: z.array(MirrorSchema).refine((ms) => new Set(ms.map((m) => m.name)).size === ms.length, { error: 'two mirrors have the same name' }).optional()
    .meta({ description: 'Remote hosts that replicate production: each publication and rollback changes them and production all together, or none (docs/promote.md, "Remote mirrors").' }),
});

/** `HOST:PORT` (an IPv6 host in brackets): where `sluice serve` answers HTTP. */
export const LISTEN_RULE = 'HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080';
export const ListenSchema = z.string({ error: `listen must be ${LISTEN_RULE}` })
  .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/, { error: `listen must be ${LISTEN_RULE}` })
  .refine((s) => { const port = Number(s.slice(s.lastIndexOf(':') + 1)); return port >= 0 && port <= 65535; }, { error: 'the port must be 0 to 65535' });

const limit = (what: string, fallback: number) => z.int({ error: `${what} must be a whole number (0: no limit)` }).min(0).max(1_000_000).default(fallback);

export const WebLimitsSchema = z.strictObject({
  streams: limit('web.limits.streams', 1000).meta({ description: 'Live streams (the dashboard\'s Server-Sent Events, log follows) open at once, all clients together; one more is answered 503 `E_SERVER_BUSY`. Keep it under the process\'s open-file limit. 0: no limit.' }),
  streams_per_client: limit('web.limits.streams_per_client', 20).meta({ description: 'Live streams one client address holds at once (a dashboard tab holds one); one more is answered 429 `E_RATE_LIMITED`. 0: no limit.' }),
  requests_per_second: limit('web.limits.requests_per_second', 50).meta({ description: 'Requests one client address may send per second on average, bursts of `request_burst` allowed; beyond, 429 `E_RATE_LIMITED` with `Retry-After`. Behind a reverse proxy every client has the proxy\'s address: raise it, or 0 for no limit.' }),
  request_burst: limit('web.limits.request_burst', 500).meta({ description: 'Requests one client address may send at once above `requests_per_second` (a page and its scripts, styles and live fragments are a handful).' }),
});

export type WebLimits = z.output<typeof WebLimitsSchema>;
export const DEFAULT_WEB_LIMITS: WebLimits = WebLimitsSchema.parse({});

/** Who may do what through the API and the dashboard (docs/web.md, "Roles"). */
export const ROLES = ['packager', 'release', 'admin'] as const;
const role = z.enum(ROLES, { error: `a role is one of ${ROLES.join(', ')}` });

/** An address range in CIDR notation; the web server checks it fully when it starts. */
const cidr = z.string({ error: 'a proxy is an address range such as 127.0.0.1/32 or ::1/128' })
  .regex(/^([0-9]{1,3}(\.[0-9]{1,3}){3}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)\/[0-9]{1,3}$/, { error: 'a proxy is an address range such as 127.0.0.1/32 or ::1/128' });

export const TrustedHeaderSchema = z.strictObject({
  header: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, { error: 'web.trusted_header.header must be a header name such as X-Remote-User' })
    .meta({ description: 'The request header in which the single sign-on proxy names the person it authenticated.' }),
  proxies: z.array(cidr).min(1, { error: 'web.trusted_header.proxies must name at least one address range' })
    .meta({ description: 'The proxies\' addresses (CIDR): the header is believed only on connections from these; from anywhere else it is ignored.' }),
  roles: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/, { error: 'a person is letters, digits and . _ @ + -' }), z.array(role))
    .default({}).meta({ description: 'Roles of each person the proxy may name; a person not listed may read (even when `public_reads` is false) and do nothing else.' }),
});

export const WebSchema = z.strictObject({
  listen: ListenSchema.optional().meta({ description: 'Where `sluice serve` answers the dashboard, the HTTP API and /metrics (`--listen` overrides it). Unset: 127.0.0.1:8080, and a port already taken is only a warning; set, a port that cannot be bound stops `serve`.' }),
  public_reads: z.boolean().default(true).meta({ description: 'Pages, reads of the API, /metrics and live events need no login. When false they need a token (`Authorization: Bearer TOKEN`), a dashboard session (/login) or a trusted proxy\'s header; the login page and the stylesheet stay public.' }),
  token_file: z.string().min(1).optional().meta({ description: 'A file of named API tokens, relative to the config file: one `PERSON ROLES sha256:HEX` line each (`#` comments), as `sluice token add` appends them. `$SLUICE_WEB_TOKENS` holds more such lines (separated by newlines or `;`). Only hashes are kept; never write a token into sluice.yaml. Without any token or trusted header, actions are refused.' }),
  session_secret_file: z.string().min(1).optional().meta({ description: 'A file whose content (at least 32 bytes, e.g. `openssl rand -hex 32`) signs dashboard sessions, relative to the config file; `$SLUICE_SESSION_SECRET` is the other way to give it. Unset: a random secret per process, so a restart logs everyone out and several hosts behind one address do not share sessions.' }),
  session_ttl: duration.default('12h').meta({ description: 'How long a dashboard login lasts.' }),
  trusted_header: TrustedHeaderSchema.optional().meta({ description: 'Single sign-on through a reverse proxy: the person named in a header, believed only from the proxies\' addresses (docs/web.md, "Behind a single sign-on proxy").' }),
  limits: WebLimitsSchema.default(DEFAULT_WEB_LIMITS).meta({ description: 'Bounds on what one client, and all together, may ask of `sluice serve` (docs/web.md, limits).' }),
});

const gitRefName = (what: string) => z.string({ error: `${what} must be text` })
  .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/, { error: `${what} must be a plain git name (letters, digits, . _ / -)` })
  .refine((v) => !v.includes('..') && !v.includes('//') && !v.endsWith('/') && !v.endsWith('.lock'), { error: `${what} must be a plain git name (no .., //, trailing / or .lock)` });

export const UpstreamSchema = z.strictObject({
  url: z.string().min(1).refine((v) => !v.startsWith('-'), { error: 'upstream.url must not start with -' }).optional()
    .meta({ description: 'The shared repository (URL, or path relative to the config file) to clone `update_repo` from when it does not exist yet.' }),
  remote: gitRefName('upstream.remote').default('origin').meta({ description: 'The remote of the working copy that is followed.' }),
  branch: gitRefName('upstream.branch').optional().meta({ description: 'The branch followed; the working copy\'s current branch when absent.' }),
  push: z.boolean().default(true).meta({ description: 'Push Sluice\'s commits (New/Update, Move, Push, Fail) after each report; false when only Gerrit writes the branch.' }),
});

const regex = (what: string) => z.string({ error: `${what} must be text` }).min(1).refine((src) => {
  try { new RegExp(src); return true; } catch { return false; }
}, { error: `${what} must be a valid JavaScript regular expression` });

const ExcerptPatternSchema = z.strictObject({
  name: name('pattern name').meta({ description: 'Unique in its set; the excerpt marks a line with `set/name`.' }),
  pattern: regex('pattern').meta({ description: 'A JavaScript regular expression, matched against the line\'s message (timestamps and logger fields stripped) or the whole line.' }),
  ignore_case: z.boolean().default(false).meta({ description: 'Match without regard to case.' }),
  on: z.enum(['message', 'line']).default('message').meta({ description: '`message` (default) or the whole `line`.' }),
  severity: z.int().min(1).max(10).default(5).meta({ description: '1 (a faint sign) to 10 (certainly the failure): higher ones are shown first.' }),
  before: z.int().min(0).max(50).optional().meta({ description: 'Lines of context above a hit.' }),
  after: z.int().min(0).max(50).optional().meta({ description: 'Lines of context below a hit.' }),
  effect: z.enum(['hit', 'dismiss', 'mute', 'unmute']).default('hit').meta({ description: '`hit` shows the line; `dismiss` cancels hits just above it (a retried step that then passed); `mute`/`unmute` bracket noise.' }),
});

const InfraRuleSchema = z.strictObject({
  name: name('rule name'),
  pattern: regex('pattern').meta({ description: 'A JavaScript regular expression matched anywhere in a line of the log.' }),
  ignore_case: z.boolean().default(false),
  certainty: z.enum(['certain', 'likely']).meta({ description: '`certain` wins even when tests failed (a dead node); `likely` counts only when no test failed (a mirror 503).' }),
  description: z.string().min(1).meta({ description: 'What the job\'s reason says, e.g. "the package mirror answered 503".' }),
});

export const AnalysisSchema = z.strictObject({
  patterns: z.array(z.strictObject({
    name: name('pattern set name'),
    description: z.string().optional(),
    patterns: z.array(ExcerptPatternSchema).min(1),
  })).default([]).meta({ description: 'Pattern sets for error excerpts, per kind of tool (docs/analysis.md), tried besides the built-in ones.' }),
  infra_rules: z.array(InfraRuleSchema).default([]).meta({ description: 'Rules that recognise infrastructure failures in a failed job\'s log: the job becomes `infra`, retried and not blamed.' }),
  builtin: z.boolean().default(true).meta({ description: 'Keep the built-in pattern sets and infra rules (false: only the ones given here).' }),
});

export const ImagesSchema = z.strictObject({
  keep: z.int().min(1).max(100).default(3).meta({ description: 'Known-good images kept per target; older ones are pruned (their archives or cloud images removed).' }),
  max_age: duration.default('14d').meta({ description: 'An image older than this is not fresh enough: phase1 provisions from scratch until the next green baseline.' }),
  on_restore: command.optional().meta({ description: 'Run on a node booted from an image before its test, with $SLUICE_IMAGE_OLD_IP (the baseline server\'s address) and $SLUICE_IMAGE_NEW_IP: re-addresses what the image remembers (docs/images.md, "Restored on a new address"). A failure is infra.' }),
});

const byteSize = z.string({ error: `must be ${BYTE_SIZE_RULE}` })
  .refine((s) => parseByteSize(s) !== undefined, { error: `must be ${BYTE_SIZE_RULE}` });

const kindLimits = (what: string) => ({
  max_age: duration.optional().meta({ description: `${what} older than this are deleted, e.g. \`30d\`.` }),
  max_size: byteSize.optional().meta({ description: `While ${what.toLowerCase()} take more than this together, the oldest are deleted, e.g. \`20GiB\`.` }),
});

export const RetentionSchema = z.strictObject({
  schedule: cron.optional().meta({ description: 'A cron expression (UTC) at which the leading `sluice serve` prunes, e.g. `"0 4 * * *"`; without it only `sluice prune` does.' }),
  logs: z.strictObject(kindLimits('Job logs and results (a run\'s directory in work_dir)')).default({}).meta({ description: 'A run\'s logs go whole; never those of a run still going or whose report is owed. The store keeps its rows: the dashboard says when the log was pruned.' }),
  builds: z.strictObject(kindLimits('Fetched builds')).default({}).meta({ description: 'Builds fetched from sources (fetched again when needed); never those of an unfinished run or a ready/ update.' }),
  repositories: z.strictObject(kindLimits('Update repositories')).default({}).meta({ description: 'The repositories made for jobs (made again when needed); never those of an unfinished run or a ready/ update.' }),
  trees: z.strictObject({
    ...kindLimits('Previous production trees'),
    keep: z.int().min(1).max(100).default(2).meta({ description: 'Previous trees of each target always kept for a rollback, whatever their age; the current tree is never deleted.' }),
  }).default({ keep: 2 }).meta({ description: 'Production trees promote published before the current one (docs/promote.md).' }),
  images: z.strictObject(kindLimits('Known-good images')).default({}).meta({ description: 'Never the newest image of a target, nor one a queued or running job boots from.' }),
});

/** Every key of sluice.yaml but the triggers' sections, the entries of sources and providers checked by their drivers. */
function configShape(drivers: ConfigDrivers) {
  return {
    releases: z.array(targetPart('release'), { error: 'releases must be a list of release names' }).min(1, { error: 'list at least one release' })
      .meta({ description: 'The product releases updates may name in `repo:`, e.g. `[icehouse, juno, kilo]`.' }),
    dists: z.record(targetPart('dist'), DistSchema.nullable().transform((d) => d ?? { aliases: [] }), { error: 'dists must be a mapping of dist names' })
      .meta({ description: 'The distributions, each with its aliases.' }),
    targets: z.record(z.string(), TargetSchema, { error: 'targets must be a mapping of release/dist to its settings' })
      .meta({ description: 'The supported targets, keyed `release/dist` (canonical dist names).' }),
    sources: z.record(name('source'), sourceEntry(drivers.sources)).default({}).meta({ description: 'Build sources by the name update files use in `source:`.' }),
    must_provision: z.array(name('package name')).default([])
      .meta({ description: 'Package names used while provisioning: an update touching one is tested on a freshly provisioned node, never an image.' }),
    providers: z.record(name('provider'), providerEntry(drivers.providers)).default({ local: { type: 'local', capacity: 2 } })
      .meta({ description: 'Where nodes come from, and how many at once.' }),
    pipelines: z.partialRecord(z.enum(PIPELINES), PipelineSchema).default({}).meta({ description: 'Test commands and policies per pipeline.' }),
    schedules: z.partialRecord(z.enum(PIPELINES), cron).default({}).meta({ description: 'Cron expressions that start pipelines, e.g. `phase2: "0 3 * * *"`.' }),
    ladder: z.enum(LADDER_MODES, { error: `ladder is ${orList([...LADDER_MODES])}` }).default('scheduled')
      .meta({ description: '`scheduled`: phase2 and promote start on their `schedules` (and by hand). `continuous`: besides, the leading `sluice serve` starts phase2 as soon as updates/ holds an update no phase2 tested and none runs, and promote as soon as ready/ holds one no promote took (docs/schedules.md, "The continuous ladder").' }),
    store: z.string().min(1).default('sqlite:.sluice/sluice.db')
      .meta({ description: '`sqlite:PATH` (relative to the config file) or a `postgres://` URL.' }),
    update_repo: z.string().min(1).default('update-repo').meta({ description: 'The update repository (git): a path relative to the config file.' }),
    upstream: UpstreamSchema.optional().meta({ description: 'The shared repository the update repository follows: pulled before phase2 and promote read it and before each report, pushed after (docs/update-repo.md).' }),
    engine: EngineSchema.default({ lease: '30s', poll: '1s', sweep: '15s', semaphores: {}, interrupted_attempts: 3, retry_backoff: '10s', leader_lease: '10s', leader_renew: '2s' }).meta({ description: 'Timing of the workers.' }),
    promote: PromoteSchema.default({ stage: '.sluice/stage', production: 'production', keep: 2 }).meta({ description: 'Where promote composes stage and publishes production.' }),
    images: ImagesSchema.default({ keep: 3, max_age: '14d' }).meta({ description: 'The known-good images the images pipeline records: how many are kept, how old one may be.' }),
    analysis: AnalysisSchema.default({ patterns: [], infra_rules: [], builtin: true }).meta({ description: 'How failed jobs are read: error excerpt patterns and infrastructure rules.' }),
    work_dir: z.string().min(1).default('.sluice/work').meta({ description: 'Where jobs keep their directories and logs, relative to the config file.' }),
    web: WebSchema.default({ public_reads: true, session_ttl: '12h', limits: DEFAULT_WEB_LIMITS }).meta({ description: 'The dashboard and HTTP API of `sluice serve` (docs/web.md).' }),
    retention: RetentionSchema.default({ logs: {}, builds: {}, repositories: {}, trees: { keep: 2 }, images: {} }).meta({ description: 'What `sluice prune` and its schedule delete, by age and total size (docs/retention.md).' }),
  };
}

/**
 * The schema of sluice.yaml for these drivers: the core's own keys, the entries of
 * `sources` and `providers` checked by the driver their `type` names, and each trigger's
 * section under a key named for its type (`gerrit:`), after the others.
 */
export function configSchemaFor(drivers: ConfigDrivers) {
  const own = configShape(drivers);
  for (const t of drivers.triggers) {
    if (Object.hasOwn(own, t.type)) throw new Error(`the trigger type ${t.type} is a key of sluice.yaml already`);
  }
  // Typed as the core's keys alone: a trigger's section is read by its driver, through Config.triggers.
  const shape: typeof own = { ...own, ...Object.fromEntries(drivers.triggers.map((t) => [t.type, t.configSchema.optional().meta({ description: t.description })])) };
  return z.strictObject(shape).meta({ title: 'Sluice configuration (sluice.yaml)' });
}

export type ConfigData = z.output<ReturnType<typeof configSchemaFor>>;
export type TargetConfig = z.output<typeof TargetSchema>;
export type PipelineConfig = z.output<typeof PipelineSchema>;
export type PromoteConfig = z.output<typeof PromoteSchema>;
export type WebConfig = z.output<typeof WebSchema>;
export type AnalysisConfig = z.output<typeof AnalysisSchema>;
export type RetentionConfig = z.output<typeof RetentionSchema>;
