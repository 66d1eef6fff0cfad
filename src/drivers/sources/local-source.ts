import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isNvr } from '../../core/names.js';
import type { Build } from '../../core/update-schema.js';
import { parseRpmFileName, selectRpms } from './arch-filter.js';
import { buildLabel, infraFault, updateFault, type BuildInfo, type BuildSource, type RemoteRpm, type SourceOutcome } from './build-source.js';
import { fetchAll, tagDir } from './download.js';
import { DEFAULT_HTTP_POLICY } from './http-policy.js';

/**
 * A directory of RPMs, for air-gapped sites and tests: `<path>/<nvr>/*.rpm` (the build
 * with its sub-packages) or, when there is no such directory, the flat `<path>/<nvr>.*.rpm`.
 */
export function localSource(options: { readonly path: string }): BuildSource {
  async function check(build: Build): Promise<SourceOutcome<BuildInfo>> {
    if (typeof build.id !== 'string' || !isNvr(build.id)) return updateFault(`build id ${buildLabel(build)} is not an NVR, which a local source needs`);
    const nvr = build.id;
    const own = join(options.path, nvr);
    const ownDir = await isDirectory(own);
    const dir = ownDir ? own : options.path;
    let names: string[];
    try {
      names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
    } catch (error) {
      return infraFault(`cannot read the local source ${dir}: ${(error as Error).message}`);
    }
    const rpms: RemoteRpm[] = [];
    for (const name of names.sort()) {
      const parsed = parseRpmFileName(name);
      if (!parsed || (!ownDir && parsed.nvr !== nvr)) continue;
      rpms.push({ name, nvr: parsed.nvr, arch: parsed.arch, location: join(dir, name) });
    }
    if (rpms.length === 0) return updateFault(`build ${nvr} does not exist in the local source ${options.path}`);
    return selectRpms(build, nvr, rpms);
  }
  return {
    check,
    async fetch(build, destDir, signal) {
      const info = await check(build);
      if (!info.ok) return info;
      return fetchAll(info.value.rpms, tagDir(build, destDir), DEFAULT_HTTP_POLICY, signal);
    },
  };
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
