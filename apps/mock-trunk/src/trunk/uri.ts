/** Small SIP URI helpers for what the trunk reads off messages (user part, host, E.164). */

/** E.164: `+` then 2 to 15 digits, no leading zero (ITU-T E.164). */
export function isE164(value: string): boolean {
  return /^\+[1-9]\d{1,14}$/.test(value);
}

/** The URI inside a name-addr (`"Bob" <sip:bob@x>;tag=1` -> `sip:bob@x`), or the text itself. */
export function uriOf(nameAddr: string): string {
  const open = nameAddr.indexOf('<');
  if (open >= 0) {
    const close = nameAddr.indexOf('>', open);
    return nameAddr.slice(open + 1, close < 0 ? undefined : close).trim();
  }
  const semi = nameAddr.indexOf(';');
  return (semi < 0 ? nameAddr : nameAddr.slice(0, semi)).trim();
}

/** Parts of a `sip:` / `sips:` / `tel:` URI the trunk needs. */
export interface UriParts {
  readonly scheme: string;
  readonly user: string | undefined;
  readonly host: string;
  readonly port: number | undefined;
  readonly params: string;
  readonly headers: string;
}

/** Splits a SIP URI; `undefined` when it is not one. */
export function splitUri(uri: string): UriParts | undefined {
  const m = /^(sips?|tel):(?:([^@]*)@)?(\[[0-9a-fA-F:.]+\]|[^:;?]+)(?::(\d{1,5}))?(;[^?]*)?(\?.*)?$/i.exec(
    uri.trim(),
  );
  if (!m) return undefined;
  const scheme = (m[1] ?? '').toLowerCase();
  if (scheme === 'tel') {
    return { scheme, user: m[3], host: '', port: undefined, params: m[5] ?? '', headers: m[6] ?? '' };
  }
  const user = m[2] === undefined ? undefined : decodeURIComponent(m[2].split(';')[0] ?? '');
  return {
    scheme,
    user,
    host: (m[3] ?? '').toLowerCase(),
    port: m[4] === undefined ? undefined : Number(m[4]),
    params: m[5] ?? '',
    headers: m[6] ?? '',
  };
}

/** The user part of the URI in a header value, if any. */
export function userOf(headerValue: string | undefined): string | undefined {
  if (headerValue === undefined) return undefined;
  return splitUri(uriOf(headerValue))?.user;
}
