// The face of the publish driver for the command line and the web server: rollback of
// production and its remote mirrors (docs/promote.md, "Rollback", "Remote mirrors").
export { mirrorHosts } from './mirrors.js';
export type { MirrorHost } from './mirror-command.js';
export { listKept, ROLLBACK_STREAM, rollbackProduction, type KeptTarget, type RollbackRequest, type SwitchResult, type SwitchedTarget } from './rollback.js';
