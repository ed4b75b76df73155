import { hasE164Syntax, parseNameAddr, parseSipUri } from '@referkit/validators';

/** E.164 syntax: `+` then up to 15 digits, no leading zero. */
export function isE164Syntax(value: string): boolean {
  return hasE164Syntax(value);
}

/** The user part of a Request-URI, if any. */
export function userOfUri(uri: string): string | undefined {
  const parsed = parseSipUri(uri);
  return parsed.ok ? parsed.value.user : undefined;
}

/** The user part of the URI in a From / To style header value, if any. */
export function userOf(headerValue: string | undefined): string | undefined {
  if (headerValue === undefined) return undefined;
  const parsed = parseNameAddr(headerValue);
  return parsed.ok ? parsed.value.uri.user : userOfUri(headerValue);
}
