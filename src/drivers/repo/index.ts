/**
 * The update repository driver's public face: what the composition root and the front
 * ends use. Pipelines reach the rest (merge, move to ready/, pushed/) directly; cli/ and
 * web/ only through here (test/architecture/imports.test.ts).
 */
export { headCommitId } from './head-commit.js';
export { initUpdateRepo } from './layout.js';
export { listReady } from './push-ready.js';
export { snapshotFiles } from './snapshot-files.js';
export { listFolders } from './update-repo.js';
export { ensureWorkingCopy, followingUpstream, pullUpstream, UpstreamError, type Upstream } from './upstream.js';
