/** Small wording helpers the pipelines' stories share. */

export const short = (hash: string | undefined): string => (hash ?? '?').slice(0, 12);

export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** The configuration line of a run's head. */
export function configLine(inputs: { readonly configFile?: string; readonly configHash?: string }): string {
  return `          config ${inputs.configFile ?? '?'} (sha256 ${short(inputs.configHash)})`;
}
