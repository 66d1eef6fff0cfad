/** An argument as a shell reads it back: bare when it can be, else quoted. */
export function shellQuote(arg: string): string {
  if (/^[\w@%+=:,./-]+$/.test(arg)) return arg;
  const option = /^(--[\w-]+=)(.+)$/.exec(arg);
  if (option) return `${option[1]}${shellQuote(option[2] ?? '')}`;
  if (!/["$`\\!]/.test(arg)) return `"${arg}"`;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}
