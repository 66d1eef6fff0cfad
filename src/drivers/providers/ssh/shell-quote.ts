/**
 * One POSIX shell word holding exactly `value`: single quotes, each embedded quote
 * written as '\''. Inside single quotes no character is special, so nothing in the
 * value ($, `, ;, newlines...) is ever interpreted. NUL cannot be passed to a shell.
 */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new RangeError('a shell word cannot hold a NUL byte');
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A file of `NAME='value'` lines for `set -a; . ./file`: how a job's environment reaches
 * the host. Variable names are checked, never quoted: a name is not data.
 */
export function envFile(env: Readonly<Record<string, string>>): string {
  return Object.entries(env).map(([name, value]) => {
    if (!NAME.test(name)) throw new RangeError(`not an environment variable name: ${JSON.stringify(name)}`);
    return `${name}=${shellQuote(value)}\n`;
  }).join('');
}
