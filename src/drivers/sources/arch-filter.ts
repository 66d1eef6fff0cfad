import { ARCHES, isNvr } from '../../core/names.js';
import { DEFAULT_ARCH, type Build } from '../../core/update-schema.js';
import { done, infraFault, updateFault, type BuildInfo, type RemoteRpm, type SourceOutcome } from './build-source.js';

/** The arches a build asks for (`arch: "noarch, x86_64"`); source RPMs are always kept. */
export function wantedArches(build: Build): Set<string> {
  const arches = (build.arch ?? DEFAULT_ARCH).split(',').map((a) => a.trim()).filter((a) => a !== '');
  return new Set([...arches, 'src']);
}

/** An arch Sluice knows: only these ever reach a file name or a URL. */
export function isKnownArch(arch: string): boolean {
  return (ARCHES as readonly string[]).includes(arch);
}

/**
 * Keeps the RPMs of the wanted arches. A build with only its source RPM left has nothing
 * to install, which is the update's fault (it names the wrong arch).
 */
export function filterArches<T extends { arch: string }>(build: Build, label: string, rpms: readonly T[]): SourceOutcome<T[]> {
  const wanted = wantedArches(build);
  const kept = rpms.filter((r) => wanted.has(r.arch));
  if (!kept.some((r) => r.arch !== 'src')) {
    const asked = [...wanted].filter((a) => a !== 'src').join(', ');
    const offered = [...new Set(rpms.map((r) => r.arch))].sort().join(', ') || 'none';
    return updateFault(`no RPMs of arch ${asked} in build ${label} (it has: ${offered})`);
  }
  return { ok: true, value: kept };
}

const RPM_FILE = /^(.+)\.([A-Za-z0-9_]+)\.rpm$/;

/** `foo-1.0-1.el7.noarch.rpm` → nvr and arch; undefined for anything else. */
export function parseRpmFileName(name: string): { nvr: string; arch: string } | undefined {
  const m = RPM_FILE.exec(name);
  if (!m?.[1] || !m[2]) return undefined;
  return { nvr: m[1], arch: m[2] };
}

/**
 * Applies the arch filter, then checks every name that will become a file name: a hub
 * or a listing is not trusted to keep `../` out of them.
 */
export function selectRpms(build: Build, label: string, rpms: readonly RemoteRpm[]): SourceOutcome<BuildInfo> {
  const kept = filterArches(build, label, rpms);
  if (!kept.ok) return kept;
  for (const r of kept.value) {
    if (!isNvr(r.nvr) || !isKnownArch(r.arch) || r.name !== `${r.nvr}.${r.arch}.rpm`) {
      return infraFault(`build ${label} has an RPM with an unsafe name: ${JSON.stringify(r.name)}`);
    }
  }
  return done({ id: label, rpms: kept.value });
}
