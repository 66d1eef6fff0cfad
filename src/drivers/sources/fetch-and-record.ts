import { rm } from 'node:fs/promises';
import type { Build } from '../../core/update-schema.js';
import type { Store } from '../../store/index.js';
import { infraFault, type BuildSource, type FetchedRpm, type SourceOutcome } from './build-source.js';

/**
 * Fetches a build and records the SHA-256 of each RPM, so that what a run tested is what
 * gets promoted. When the store already knows one of the files with other bytes, the
 * files of this fetch are removed again and the fetch fails: nothing unrecorded is kept.
 * A source that throws is an infra fault too.
 */
export async function fetchAndRecord(
  source: BuildSource,
  build: Build,
  destDir: string,
  record: { store: Pick<Store, 'recordRpms'>; sourceName: string; runId?: string | null; now: number },
  signal?: AbortSignal,
): Promise<SourceOutcome<FetchedRpm[]>> {
  let fetched: SourceOutcome<FetchedRpm[]>;
  try {
    fetched = await source.fetch(build, destDir, signal);
  } catch (error) {
    // A source's bug is the infrastructure's problem, not the update's, and never a crash.
    return infraFault(`source ${record.sourceName} failed on build ${String(build.id)}: ${(error as Error).message}`);
  }
  if (!fetched.ok) return fetched;
  const result = await record.store.recordRpms({
    buildId: String(build.id),
    source: record.sourceName,
    runId: record.runId ?? null,
    rpms: fetched.value.map((r) => ({ fileName: r.name, sha256: r.sha256, size: r.size })),
    now: record.now,
  });
  if (result.ok) return fetched;
  await Promise.all(fetched.value.map((r) => rm(r.path, { force: true })));
  return infraFault(
    `checksum changed between fetches: ${result.fileName} of build ${String(build.id)} from ${record.sourceName} was sha256 ${result.knownSha256}, now ${result.newSha256}; nothing of this fetch was kept`,
  );
}
