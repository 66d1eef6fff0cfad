import type { ImageInfo } from './glance.js';
import { markerOf } from './marker.js';

/** Glance's statuses of an image whose data has not finished uploading (its image status diagram). */
const NOT_YET_ACTIVE: ReadonlySet<string> = new Set(['queued', 'saving', 'uploading', 'importing']);

export interface SnapshotSweep {
  /** This provider's name: images marked by another one (another Sluice on the project) are left alone. */
  readonly provider: string;
  readonly images: readonly ImageInfo[];
  /** Runs not yet finished, asked after Glance was listed. */
  readonly liveRunIds: ReadonlySet<string>;
  /**
   * The Glance ids the store knows as snapshots (recorded, or with the report that
   * records them still owed), asked after `liveRunIds`; absent when the caller cannot say.
   */
  readonly knownImageIds?: ReadonlySet<string>;
}

export interface OrphanSnapshot {
  readonly image: ImageInfo;
  readonly why: string;
}

/**
 * The snapshots of Sluice that the orphan sweep deletes. The rule it keeps: never delete
 * an image the store records, or will record, as a target's known-good image.
 *
 * The store learns an image id one way only: `snapshot()` returned it, which it does once
 * Glance shows the image `active`, and the job's outcome carried it into the run's
 * `image.snapshot` event, written while the job, hence the run, was unfinished (a worker
 * that lost its claim drops its outcome). The images reporter records it after the run's
 * verdict, and retries until it has. Glance never takes an image from `active` back to
 * `saving` or `killed`, nor to `queued` but by removing its last location, after which it
 * has no data to boot anyway (its image status diagram). So:
 * - `killed`: never active, never handed to the store; deleted whatever its run.
 * - `queued`/`saving` (`uploading`/`importing`): not active yet, so not in the store, and
 *   once its run is finished no attempt can still hand it over; deleted then.
 * - `active` (or deactivated) of a finished run: recorded, owed to a report not yet made,
 *   or lost (the worker died after Glance finished and before the outcome was written).
 *   Nothing in the cloud tells these apart: it is deleted only when `knownImageIds` is
 *   given and lacks it; otherwise it is kept.
 * Never touched, whatever the status: an image without this provider's marker, a
 * protected one (an operator's explicit keep), and one whose `instance_uuid` is not the
 * server it names in `sluice_snapshot_of`: Nova copies a server's base image properties
 * onto any snapshot of it, so someone's snapshot of a server booted from a Sluice image
 * carries that image's marker.
 */
export function orphanSnapshots(s: SnapshotSweep): OrphanSnapshot[] {
  const doomed: OrphanSnapshot[] = [];
  for (const image of s.images) {
    const m = markerOf(image.properties);
    if (!m || m.provider !== s.provider || image.protected) continue;
    const of = image.properties.sluice_snapshot_of;
    const instance = image.properties.instance_uuid;
    if (of === undefined || (instance !== undefined && instance !== of)) continue;
    if (image.status === 'killed') {
      doomed.push({ image, why: 'killed' });
    } else if (s.liveRunIds.has(m.runId)) {
      continue;
    } else if (NOT_YET_ACTIVE.has(image.status)) {
      doomed.push({ image, why: `${image.status} after run ${m.runId} finished` });
    } else if ((image.status === 'active' || image.status === 'deactivated') && s.knownImageIds && !s.knownImageIds.has(image.id)) {
      doomed.push({ image, why: `${image.status}, of finished run ${m.runId}, and not known to the store` });
    }
  }
  return doomed;
}
