import { createHash } from 'node:crypto';

/** Which attempt of which job a server or port belongs to: what reaping matches on. */
export interface NodeMarker {
  readonly provider: string;
  readonly runId: string;
  readonly jobId: string;
  readonly attempt: number;
}

/** Every server Sluice makes carries this tag, so listing ours is one filtered call. */
export const SLUICE_TAG = 'sluice';

/** Nova metadata values and Neutron descriptions hold 255 characters: a long job id is hashed. */
export function jobKey(jobId: string): string {
  return jobId.length <= 120 ? jobId : `sha256:${createHash('sha256').update(jobId).digest('hex').slice(0, 40)}`;
}

export function serverMetadata(m: NodeMarker): Record<string, string> {
  return { sluice_provider: m.provider, sluice_run: m.runId, sluice_job: jobKey(m.jobId), sluice_attempt: String(m.attempt) };
}

/** Nova tags may not hold `/` or `,` and have at most 60 characters; run ids are short and plain. */
export function serverTags(m: NodeMarker): string[] {
  return [SLUICE_TAG, `sluice-run-${m.runId}`.slice(0, 60).replace(/[/,]/g, '_')];
}

/**
 * The properties of a snapshot of a job's server (Nova's createImage metadata becomes
 * Glance image properties): the job's marker, so the orphan sweep knows whose it is, and
 * the server it was made of. Nova first copies the base image's properties onto a
 * snapshot, and these take precedence, so a server provisioned from a Sluice image still
 * yields a snapshot marked with its own job.
 */
export function snapshotProperties(m: NodeMarker, serverId: string, address?: string): Record<string, string> {
  // The address the baseline ran at: what a restored node's on_restore hook re-addresses from.
  return { ...serverMetadata(m), sluice_snapshot_of: serverId, ...(address ? { sluice_address: address } : {}) };
}

/** Neutron ports carry no metadata: the marker is the description, as JSON. */
export function portDescription(m: NodeMarker): string {
  return JSON.stringify(serverMetadata(m));
}

/** The marker of a server's metadata or a port's description; undefined when not Sluice's. */
export function markerOf(source: Readonly<Record<string, string>> | string): Omit<NodeMarker, 'jobId'> & { jobKey: string } | undefined {
  let meta: Record<string, unknown>;
  if (typeof source === 'string') {
    try {
      const parsed: unknown = JSON.parse(source);
      if (!parsed || typeof parsed !== 'object') return undefined;
      meta = parsed as Record<string, unknown>;
    } catch {
      return undefined;
    }
  } else {
    meta = source;
  }
  const { sluice_provider: provider, sluice_run: runId, sluice_job: job, sluice_attempt: attempt } = meta;
  if (typeof provider !== 'string' || typeof runId !== 'string' || typeof job !== 'string' || typeof attempt !== 'string') return undefined;
  return { provider, runId, jobKey: job, attempt: Number(attempt) };
}

/** A name people recognise in the cloud's console: `sluice-<run>-<target>-a<attempt>`. */
export function nodeName(m: NodeMarker, target: string): string {
  return `sluice-${m.runId}-${target.replace(/[^A-Za-z0-9.-]+/g, '-')}-a${m.attempt}`.slice(0, 200);
}
