/**
 * Character classes of RFC 3261 section 25.1 and the `%HH` escaping rules shared by the URI
 * components.
 */

const ALPHANUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const MARK = "-_.!~*'()";
/** `unreserved = alphanum / mark` */
const UNRESERVED = ALPHANUM + MARK;

function charSet(chars: string): ReadonlySet<string> {
  return new Set(chars.split(''));
}

/** @internal Characters allowed unescaped in the `user` part: unreserved / user-unreserved. */
export const USER_CHARS = charSet(UNRESERVED + '&=+$,;?/');
/** @internal Characters allowed unescaped in a password. */
export const PASSWORD_CHARS = charSet(UNRESERVED + '&=+$,');
/** @internal Characters allowed unescaped in a uri-parameter name or value (paramchar). */
export const PARAM_CHARS = charSet(UNRESERVED + '[]/:&+$');
/** @internal Characters allowed unescaped in an embedded header name or value. */
export const HEADER_CHARS = charSet(UNRESERVED + '[]/?:+$');
/** @internal Characters of a tel: URI number (RFC 3966 phonedigit-hex, visual separators, `+`). */
export const TEL_NUMBER_CHARS = charSet('0123456789abcdefABCDEF*#-.()+');
/** @internal Characters of a tel: URI parameter name (RFC 3966 `pname`). */
export const TEL_PNAME_CHARS = charSet(ALPHANUM + '-');
/** @internal RFC 3261 `token` characters. */
export const TOKEN_CHARS = charSet(ALPHANUM + "-.!%*_+`'~");

const HEX = /^[0-9a-fA-F]{2}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/**
 * @internal Decodes `%HH` escapes of a URI component after checking that every other character is
 * in `allowed`. Returns the decoded text, or a message naming the first bad character.
 */
export function unescapeComponent(
  text: string,
  allowed: ReadonlySet<string>,
): { ok: true; value: string } | { ok: false; message: string } {
  if (!text.includes('%')) {
    for (const ch of text) {
      if (!allowed.has(ch)) return { ok: false, message: `character ${describeChar(ch)} must be escaped` };
    }
    return { ok: true, value: text };
  }
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (ch === '%') {
      const hex = text.slice(i + 1, i + 3);
      if (!HEX.test(hex))
        return { ok: false, message: `bad escape "${text.slice(i, i + 3)}" (expected %HH)` };
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (allowed.has(ch)) {
      bytes.push(ch.charCodeAt(0));
    } else {
      return { ok: false, message: `character ${describeChar(ch)} must be escaped` };
    }
  }
  try {
    return { ok: true, value: utf8.decode(new Uint8Array(bytes)) };
  } catch {
    return { ok: false, message: 'escaped bytes are not valid UTF-8' };
  }
}

/** @internal Escapes every character of `text` that is not in `allowed` (UTF-8, `%HH`). */
export function escapeComponent(text: string, allowed: ReadonlySet<string>): string {
  let out = '';
  for (const ch of text) {
    if (allowed.has(ch)) {
      out += ch;
    } else {
      for (const byte of utf8Encoder.encode(ch))
        out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
    }
  }
  return out;
}

/** @internal Describes a character for an error message (quoted, or as a code point). */
export function describeChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  return code > 0x20 && code < 0x7f ? `"${ch}"` : `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** @internal Whether every character of `text` is in `allowed` (and `text` is not empty). */
export function onlyChars(text: string, allowed: ReadonlySet<string>): boolean {
  if (text.length === 0) return false;
  for (const ch of text) if (!allowed.has(ch)) return false;
  return true;
}
