const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
const SECRET_PARAMETER = /([?&](?:password|sslpassword|pass|passwd|pwd)=)[^&#]*/gi;

/**
 * A connection string fit to print: the password masked wherever it sits (user info or a
 * `password=` parameter), whether or not the string parses as a URL. Errs on the side of
 * masking: with several `@`, everything up to the last one is taken as user info, since a
 * password may itself hold `@`, `/` or `:`.
 */
export function redactUrl(text: string): string {
  const masked = text.replace(SECRET_PARAMETER, '$1***');
  const scheme = SCHEME.exec(masked)?.[0] ?? '';
  const rest = masked.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  if (at < 0) return masked;
  const userInfo = rest.slice(0, at);
  const colon = userInfo.indexOf(':');
  if (colon < 0) return masked;
  return `${scheme}${userInfo.slice(0, colon)}:***${rest.slice(at)}`;
}
