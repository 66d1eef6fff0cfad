/**
 * What retention prunes (docs/retention.md), each a key of `retention:` in sluice.yaml:
 * job logs and results (a run's directory in work_dir), fetched builds, the update
 * repositories made for jobs, previous production trees, known-good images.
 */
export const RETENTION_KINDS = ['logs', 'builds', 'repositories', 'trees', 'images'] as const;
export type RetentionKind = (typeof RETENTION_KINDS)[number];
