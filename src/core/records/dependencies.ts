import { z } from 'zod';
import { UPDATE_REPO_FOLDERS } from './vocabulary.js';

/**
 * What phase2 and promote record of updates that need each other (docs/lifecycle.md,
 * "Updates that need each other"): the edges binding when the run started and where each
 * dependency outside the run's set stood, so a restarted controller decides the same and
 * explain tells why.
 */
export const DependencyEdgeSchema = z.object({
  updateId: z.string(),
  dependsOn: z.string(),
  how: z.enum(['declared', 'inferred']),
  why: z.string(),
});

export const DependencyPlaceSchema = z.object({
  id: z.string(),
  place: z.enum([...UPDATE_REPO_FOLDERS, 'submitted', 'rejected', 'gone']),
  detail: z.string().optional(),
});

export const HeldSchema = z.array(z.object({ id: z.string(), why: z.string() }));

export const RunDependenciesSchema = z.object({
  edges: z.array(DependencyEdgeSchema),
  places: z.array(DependencyPlaceSchema),
  /** The units of more than one update, which move (and are blamed) as one. */
  units: z.array(z.array(z.string())),
});
