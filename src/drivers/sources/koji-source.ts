import { isNvr, isSafeName } from '../../core/names.js';
import type { Build } from '../../core/update-schema.js';
import { parseRpmFileName, selectRpms } from './arch-filter.js';
import { done, infraFault, updateFault, type BuildInfo, type BuildSource, type FetchedRpm, type RemoteRpm, type SourceOutcome } from './build-source.js';
import { fetchAll, tagDir } from './download.js';
import type { HttpPolicy } from './http-policy.js';
import { callXmlRpc, type XmlRpcValue } from './xmlrpc.js';

export interface KojiSourceOptions {
  /** The XML-RPC hub, e.g. https://cbs.centos.org/kojihub */
  readonly hub: string;
  /** Where the hub's files are served, e.g. https://cbs.centos.org/kojifiles */
  readonly topurl: string;
  /** `build`: ids are NVRs (koji, cbs); `scratch`: ids are task numbers (koji-scratch). */
  readonly kind: 'build' | 'scratch';
  readonly policy: HttpPolicy;
}

/** Koji's build states (koji.BUILD_STATES). */
const BUILD_STATES = ['BUILDING', 'COMPLETE', 'DELETED', 'FAILED', 'CANCELED'] as const;
const BUILD_COMPLETE = 1;
/** Koji's task states (koji.TASK_STATES). */
const TASK_STATES = ['FREE', 'OPEN', 'CLOSED', 'CANCELED', 'ASSIGNED', 'FAILED'] as const;
const TASK_CLOSED = 2;

type Struct = { [key: string]: XmlRpcValue };
const isStruct = (v: XmlRpcValue): v is Struct => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Koji and CBS (and any Koji hub), over the hub's XML-RPC API and its top URL. */
export function kojiSource(options: KojiSourceOptions): BuildSource {
  const topurl = options.topurl.replace(/\/+$/, '');
  const call = async (method: string, params: XmlRpcValue[], signal?: AbortSignal): Promise<SourceOutcome<XmlRpcValue>> => {
    const got = await callXmlRpc(options.hub, method, params, options.policy, signal);
    return got.ok ? done(got.value) : infraFault(got.message);
  };

  async function listBuild(build: Build, signal?: AbortSignal): Promise<SourceOutcome<BuildInfo>> {
    if (typeof build.id !== 'string' || !isNvr(build.id)) return updateFault(`build id ${String(build.id)} is not an NVR, which a Koji build needs`);
    const nvr = build.id;
    const got = await call('getBuild', [nvr], signal);
    if (!got.ok) return got;
    if (got.value === null) return updateFault(`build ${nvr} does not exist on ${options.hub}`);
    const b = got.value;
    if (!isStruct(b) || typeof b.id !== 'number' || typeof b.state !== 'number' || typeof b.name !== 'string' || typeof b.version !== 'string' || typeof b.release !== 'string') {
      return infraFault(`hub ${options.hub} answered getBuild(${nvr}) with no build id, state, name, version and release`);
    }
    if (b.state !== BUILD_COMPLETE) {
      return updateFault(`build ${nvr} is ${BUILD_STATES[b.state] ?? `in state ${b.state}`}, not COMPLETE, on ${options.hub}`);
    }
    if (!isNvr(`${b.name}-${b.version}-${b.release}`)) return infraFault(`hub ${options.hub} named build ${nvr} unsafely`);
    const base = volumeDir(b.volume_name);
    if (base === undefined) return infraFault(`hub ${options.hub} put build ${nvr} on a volume with an unsafe name: ${JSON.stringify(b.volume_name)}`);
    const listed = await call('listRPMs', [b.id], signal);
    if (!listed.ok) return listed;
    if (!Array.isArray(listed.value)) return infraFault(`hub ${options.hub} answered listRPMs(${b.id}) with no list`);
    const rpms: RemoteRpm[] = [];
    for (const r of listed.value) {
      if (!isStruct(r) || typeof r.name !== 'string' || typeof r.version !== 'string' || typeof r.release !== 'string' || typeof r.arch !== 'string') {
        return infraFault(`hub ${options.hub} listed an RPM of ${nvr} with no name, version, release and arch`);
      }
      const rpmNvr = `${r.name}-${r.version}-${r.release}`;
      const dir = [b.name, b.version, b.release, r.arch].map(encodeURIComponent).join('/');
      const name = `${rpmNvr}.${r.arch}.rpm`;
      rpms.push({ name, nvr: rpmNvr, arch: r.arch, location: `${topurl}${base}/packages/${dir}/${encodeURIComponent(name)}`, ...(typeof r.size === 'number' ? { size: r.size } : {}) });
    }
    return selectRpms(build, nvr, rpms);
  }

  async function listTask(build: Build, signal?: AbortSignal): Promise<SourceOutcome<BuildInfo>> {
    const taskId = typeof build.id === 'number' ? build.id : Number(build.id);
    if (!Number.isSafeInteger(taskId) || taskId <= 0) return updateFault(`build id ${String(build.id)} is not a Koji task number`);
    const label = `task ${taskId}`;
    const got = await call('getTaskInfo', [taskId], signal);
    if (!got.ok) return got;
    if (got.value === null) return updateFault(`scratch build ${label} does not exist on ${options.hub}`);
    const task = got.value;
    if (!isStruct(task) || typeof task.state !== 'number') return infraFault(`hub ${options.hub} answered getTaskInfo(${taskId}) with no task state`);
    if (task.method !== 'build') return updateFault(`${label} is a ${String(task.method)} task, not a build: give the parent build task`);
    if (task.state !== TASK_CLOSED) {
      return updateFault(`scratch build ${label} is ${TASK_STATES[task.state] ?? `in state ${task.state}`}, not CLOSED, on ${options.hub}`);
    }
    const kids = await call('getTaskChildren', [taskId], signal);
    if (!kids.ok) return kids;
    if (!Array.isArray(kids.value)) return infraFault(`hub ${options.hub} answered getTaskChildren(${taskId}) with no list`);
    // By file name: a scratch build's first buildArch child keeps the SRPM it rebuilt
    // (kojid's BuildTask.runBuilds, keep_srpm), so the SRPM task's and that child's
    // outputs share a name. Koji takes the buildArch child's as the build's SRPM; so does
    // this. Two buildArch children offering one name (noarch subpackages): the first.
    const rpms = new Map<string, RemoteRpm & { fromBuildArch: boolean }>();
    for (const child of kids.value) {
      if (!isStruct(child) || typeof child.id !== 'number' || !Number.isSafeInteger(child.id)) return infraFault(`hub ${options.hub} listed a child of ${label} with no id`);
      const fromBuildArch = child.method === 'buildArch';
      // stat=True: a struct of file name → {st_size: "1234", ...} (sizes are strings, for files past 2 GiB).
      const out = await call('listTaskOutput', [child.id, true], signal);
      if (!out.ok) return out;
      if (!isStruct(out.value)) return infraFault(`hub ${options.hub} answered listTaskOutput(${child.id}) with no struct`);
      for (const [file, info] of Object.entries(out.value)) {
        const parsed = parseRpmFileName(file);
        if (!parsed) continue;
        const size = isStruct(info) ? Number(info.st_size) : NaN;
        const seen = rpms.get(file);
        if (seen && (seen.fromBuildArch || !fromBuildArch)) continue;
        rpms.set(file, {
          fromBuildArch,
          name: file,
          nvr: parsed.nvr,
          arch: parsed.arch,
          location: [topurl, ...scratchTaskDir(child.id), encodeURIComponent(file)].join('/'),
          ...(Number.isSafeInteger(size) ? { size } : {}),
        });
      }
    }
    return selectRpms(build, label, [...rpms.values()].map(({ fromBuildArch: _, ...rpm }) => rpm));
  }

  const check = (build: Build, signal?: AbortSignal) => (options.kind === 'scratch' ? listTask(build, signal) : listBuild(build, signal));
  return {
    check,
    async fetch(build, destDir, signal): Promise<SourceOutcome<FetchedRpm[]>> {
      const info = await check(build, signal);
      if (!info.ok) return info;
      return fetchAll(info.value.rpms, tagDir(build, destDir), options.policy, signal);
    },
  };
}

/**
 * The top URL's prefix for a build's volume (koji.PathInfo.volumedir): none on the DEFAULT
 * volume, `/vol/<name>` on another (Fedora moves old builds to archive volumes);
 * undefined for a name that is not safe in a URL path.
 */
export function volumeDir(volumeName: XmlRpcValue | undefined): string | undefined {
  if (volumeName === undefined || volumeName === null || volumeName === 'DEFAULT') return '';
  return typeof volumeName === 'string' && isSafeName(volumeName) ? `/${KOJI_VOLUME_DIR}/${volumeName}` : undefined;
}

/** The top URL's directory of volumes other than DEFAULT, as Koji names it. */
export const KOJI_VOLUME_DIR = 'vol';

/** Where a hub keeps a task's outputs, under its top URL: work/tasks/<id % 10000>/<id>. */
export function scratchTaskDir(taskId: number): string[] {
  return [KOJI_WORK_DIR, 'tasks', String(taskId % 10000), String(taskId)];
}

/** The top URL's directory of task outputs, as Koji names it. */
export const KOJI_WORK_DIR = 'work';
