export const PIPELINES = ['phase1', 'phase2', 'promote', 'images'] as const;

export type Pipeline = (typeof PIPELINES)[number];
