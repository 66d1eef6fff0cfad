/**
 * Every problem code Sluice reports, with what a person should do about it, the CLI exit
 * status and the HTTP status it maps to. docs/errors.md lists the same codes; a test keeps
 * the two, and the codes used in the source, in step.
 */
export interface ErrorSpec {
  readonly summary: string;
  /** CLI exit status when this is the worst problem (DESIGN.md: 1 invalid/fail, 2 usage, 3 error). */
  readonly exit: 0 | 1 | 2 | 3;
  readonly http: number;
}

export const ERRORS = {
  E_USAGE: { summary: 'The command line is wrong: see `sluice help COMMAND`.', exit: 2, http: 400 },
  E_FILE_UNREADABLE: { summary: 'A file named on the command line cannot be read.', exit: 1, http: 400 },
  E_FILE_TOO_LARGE: { summary: 'The file is larger than any update file or config should be (1 MiB).', exit: 1, http: 413 },
  E_NOT_UTF8: { summary: 'The file is not UTF-8: save it as UTF-8.', exit: 1, http: 400 },
  E_EMPTY: { summary: 'The file is empty.', exit: 1, http: 400 },
  E_YAML_SYNTAX: { summary: 'The file is not valid YAML, or uses YAML an update file must not (several documents, duplicate keys, custom tags).', exit: 1, http: 400 },
  E_YAML_TOO_DEEP: { summary: 'YAML collections nest deeper than any update file or config should (64 levels).', exit: 1, http: 400 },
  E_YAML_TOO_LARGE: { summary: 'The YAML has more values or lines than any update file or config should (10,000).', exit: 1, http: 413 },
  E_YAML_ALIASES: { summary: 'YAML aliases expand too far ("billion laughs"): write the values out.', exit: 1, http: 400 },
  E_UPDATE_INVALID: { summary: 'A field of the update file is missing or wrong.', exit: 1, http: 422 },
  E_TOPIC_MISMATCH: { summary: 'The Gerrit topic does not name the releases and dists of the update file.', exit: 1, http: 422 },
  E_RELEASE_UNKNOWN: { summary: 'The update names a release the configuration does not list.', exit: 1, http: 422 },
  E_DIST_UNKNOWN: { summary: 'The update names a dist (or alias) the configuration does not list.', exit: 1, http: 422 },
  E_TARGET_UNKNOWN: { summary: 'The release/dist pair of a build is not a supported target.', exit: 1, http: 422 },
  E_SOURCE_UNKNOWN: { summary: 'The build source is not configured.', exit: 1, http: 422 },
  E_CONFIG_NOT_FOUND: { summary: 'No configuration file: pass --config FILE or run `sluice init`.', exit: 2, http: 500 },
  E_CONFIG_INVALID: { summary: 'The configuration file has a missing or wrong field.', exit: 2, http: 500 },
  E_STORE: { summary: 'The store (database) cannot be opened or used.', exit: 3, http: 503 },
  E_TARGET_NOT_CONFIGURED: { summary: 'The command names a target that the configuration does not have.', exit: 1, http: 404 },
  E_TARGET_NOT_DISABLED: { summary: 'The target is not disabled, so there is nothing to enable.', exit: 1, http: 409 },
  E_NO_KEPT_TREE: { summary: 'A rollback names a tree production does not keep (or a target has no older tree): nothing was changed.', exit: 1, http: 409 },
  E_ROLLBACK_FAILED: { summary: 'A rollback could not switch production or a mirror; every host was left on, or put back on, the tree it showed.', exit: 3, http: 503 },
  E_NOT_FOUND: { summary: 'No run, job or update has that id: see `sluice status`.', exit: 1, http: 404 },
  E_NO_TEST_COMMAND: { summary: 'A target has no test command for the pipeline: set pipelines.<name>.test in the configuration.', exit: 1, http: 422 },
  // Updates that need each other (docs/lifecycle.md).
  E_DEPENDENCY_UNKNOWN: { summary: 'A dependency (--with, Depends-On, depends_on) names no update Sluice knows: not submitted, not in updates/ or ready/.', exit: 1, http: 422 },
  E_DEPENDENCY_CYCLE: { summary: 'The updates named as dependencies need each other in a cycle: two updates that need each other are one update.', exit: 1, http: 422 },
  E_DEPENDENCY_FAILED: { summary: 'A dependency failed (its latest phase1 failed, or it is in failed/): the update cannot be tested with it.', exit: 1, http: 422 },
  E_MUST_PROVISION_IN_CONFIG: { summary: 'The package is on the must-provision list of sluice.yaml, which only an edit of that file changes.', exit: 1, http: 409 },
  E_EXISTS: { summary: 'The file exists already; pass --force to overwrite it.', exit: 1, http: 409 },
  E_REQUEST_INVALID: { summary: 'An HTTP request has a missing or wrong parameter, query or body field: the message names it.', exit: 2, http: 400 },
  E_TOKEN_MISSING: { summary: 'This request needs an API token: send `Authorization: Bearer TOKEN`.', exit: 2, http: 401 },
  E_TOKEN_INVALID: { summary: 'The API token is not one the server knows.', exit: 2, http: 401 },
  E_ACTIONS_DISABLED: { summary: 'The server has no API token configured, so it refuses every action.', exit: 2, http: 403 },
  E_ROLE_REQUIRED: { summary: 'The person of this token (or session, or proxy header) lacks the role the action needs: packager, release or admin.', exit: 2, http: 403 },
  E_LOGIN_REQUIRED: { summary: 'The dashboard\'s buttons need a login: paste a token at /login.', exit: 2, http: 401 },
  E_CSRF: { summary: 'A dashboard form came without its session\'s CSRF token, with a wrong one, or from another site: nothing was done.', exit: 2, http: 403 },
  E_NO_ROUTE: { summary: 'No page or API endpoint has that path: see /api/openapi.json.', exit: 2, http: 404 },
  E_NO_LOG: { summary: 'The job has no log (yet): it is queued, was skipped, or its log was removed.', exit: 1, http: 404 },
  E_LOG_UNREACHABLE: { summary: 'The job ran on another host\'s `sluice serve`, which holds its log and did not answer; no copy of it is here yet.', exit: 3, http: 502 },
  E_RUN_FINISHED: { summary: 'The run has its verdict already, so there is nothing to cancel.', exit: 0, http: 409 },
  E_NOTHING_TO_DO: { summary: 'The pipeline has nothing to test now (e.g. updates/ or ready/ is empty).', exit: 0, http: 409 },
  E_MEDIA_TYPE: { summary: 'The request body must be JSON (`Content-Type: application/json`).', exit: 2, http: 415 },
  E_UPSTREAM: { summary: 'The update repository cannot follow its upstream (fetch, rebase or push failed): the message says which and why.', exit: 3, http: 503 },
  E_HEADERS_TOO_LARGE: { summary: 'The request\'s headers (or its URL) are larger than the server takes.', exit: 2, http: 431 },
  E_REQUEST_TIMEOUT: { summary: 'The request did not arrive in time (headers or body too slow).', exit: 2, http: 408 },
  E_RATE_LIMITED: { summary: 'This client sends too many requests, or holds too many live streams: wait and retry.', exit: 2, http: 429 },
  E_SERVER_BUSY: { summary: 'The server holds as many live streams as it allows: retry later.', exit: 3, http: 503 },
  E_WEB_LISTEN: { summary: 'The HTTP server cannot listen on the address configured (in use, or not this host\'s).', exit: 3, http: 500 },
  E_INTERNAL: { summary: 'An unexpected failure inside Sluice: the server log has its stack.', exit: 3, http: 500 },
  E_CONFIG_RELOAD_REFUSED: { summary: 'The configuration file on disk is not valid, so `sluice serve` keeps the one it runs.', exit: 2, http: 422 },
  E_APPROVAL_SET_MISMATCH: { summary: 'The approval names another set of updates than the one the promote run publishes: nothing was approved.', exit: 1, http: 409 },
  E_APPROVAL_REFUSED: { summary: 'The run cannot be approved now: not a promote run, finished, stage not composed yet, or nothing to publish.', exit: 1, http: 409 },
  // issue 19: waivers and `recheck failed` (docs/lifecycle.md)
  E_RECHECK_NOT_LATEST: { summary: '`recheck failed` starts only from the latest phase1 run of the same update content, once it has finished.', exit: 1, http: 409 },
  E_WAIVER_REFUSED: { summary: 'A waiver names a failed job of a finished phase1 run (and a test that failed in it): this one does not.', exit: 1, http: 409 },
  W_UNKNOWN_KEY: { summary: 'A key the update format does not know is ignored (a typo?).', exit: 0, http: 200 },
  W_TARGET_DISABLED: { summary: 'The update touches a disabled target, which pipelines skip with its reason.', exit: 0, http: 200 },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export function errorSpec(code: string): ErrorSpec | undefined {
  return (ERRORS as Record<string, ErrorSpec>)[code];
}
