/** Query parameters whose values are credentials, whatever their case: never written to a log. */
const SECRET_PARAM = /token|secret|passw|key|auth|sig|credential|session/i;

/**
 * The URL as the log may hold it: the value of every credential-like query parameter
 * replaced by `[redacted]`. A token belongs in the Authorization header, and one sent in
 * the query is refused, but whoever sent it should not find it in the server's log too.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const query = url.slice(q + 1).split('&').map((part) => {
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    return SECRET_PARAM.test(safeDecode(name)) ? `${name}=[redacted]` : part;
  });
  return `${url.slice(0, q)}?${query.join('&')}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}
