import { queryRpm, type RpmHeader } from '../rpm/rpm-query.js';
import type { ToolOptions } from '../rpm/run-tool.js';

/** The headers of the update's binary RPMs, in the order given: source RPMs are never installed. */
export async function binaryHeaders(rpms: readonly string[], opts: ToolOptions): Promise<{ path: string; header: RpmHeader }[]> {
  const all = await Promise.all(rpms.map(async (path) => ({ path, header: await queryRpm(path, opts) })));
  return all.filter((p) => !p.header.source);
}
