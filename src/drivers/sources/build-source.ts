import type { Build } from '../../core/update-schema.js';

/**
 * Where a build's RPMs come from. Every expected problem is a value, not an exception:
 * `fault: 'update'` when the update is wrong (no such build, not finished, nothing of the
 * asked arches), so the job fails; `fault: 'infra'` when the source is (unreachable, timed
 * out, garbage, truncated), so the job is retried and the update is not blamed.
 */
export interface BuildSource {
  /** Is the build there and complete, with RPMs left after the arch filter? */
  check(build: Build, signal?: AbortSignal): Promise<SourceOutcome<BuildInfo>>;
  /**
   * Fetches the build's RPMs into `destDir` (its `tag` sub-directory when the build has
   * one): all of them or none. A file already there with other bytes is refused.
   */
  fetch(build: Build, destDir: string, signal?: AbortSignal): Promise<SourceOutcome<FetchedRpm[]>>;
}

export type Fault = 'update' | 'infra';

export type SourceOutcome<T> = { readonly ok: true; readonly value: T } | SourceFault;
export type SourceFault = { readonly ok: false; readonly fault: Fault; readonly message: string };

export interface BuildInfo {
  /** The NVR, or `task <n>` for a scratch build. */
  readonly id: string;
  /** What the source will download, after the arch filter. */
  readonly rpms: readonly RemoteRpm[];
}

/** One RPM a source offers: its file name and where it is. */
export interface RemoteRpm {
  readonly name: string;
  readonly nvr: string;
  readonly arch: string;
  /** An http(s) URL or, for the local source, a file path. */
  readonly location: string;
  /** The size the source announces, when it does; a download of another size is refused. */
  readonly size?: number;
}

export interface FetchedRpm {
  /** The file name, e.g. `foo-1.0-1.el7.noarch.rpm`. */
  readonly name: string;
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  readonly arch: string;
  readonly nvr: string;
}

export const done = <T>(value: T): SourceOutcome<T> => ({ ok: true, value });
export const updateFault = (message: string): SourceFault => ({ ok: false, fault: 'update', message });
export const infraFault = (message: string): SourceFault => ({ ok: false, fault: 'infra', message });

/** How a build is named in messages: its NVR, or its Koji task number. */
export function buildLabel(build: Build): string {
  return typeof build.id === 'number' ? `task ${build.id}` : build.id;
}
