/**
 * A job's kind names its pipeline and the provider its node comes from, so that a worker
 * holding a node of one provider claims only jobs that can run on it.
 */
export function jobKind(pipeline: string, provider: string): string {
  return `${pipeline}@${provider}`;
}
