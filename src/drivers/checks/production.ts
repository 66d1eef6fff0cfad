import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DnfRepo } from '../rpm/dnf.js';
import { makeRepository, rpmFilesIn } from '../rpm/repository.js';
import type { CheckInput } from './check.js';

const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * The target's production repository as dnf will read it: a URL as it is; a local directory
 * with repodata/ in place; a bare directory of RPMs through a cached, content-addressed
 * repository of them (the per-target view, built once per content).
 */
export async function productionRepo(input: CheckInput): Promise<DnfRepo> {
  if (URL_LIKE.test(input.production)) return { id: 'production', location: input.production };
  const hasRepodata = await stat(join(input.production, 'repodata', 'repomd.xml')).then(() => true, () => false);
  if (hasRepodata) return { id: 'production', location: input.production };
  const repo = await makeRepository(await rpmFilesIn(input.production), input.cacheDir, input);
  return { id: 'production', location: repo.path };
}
