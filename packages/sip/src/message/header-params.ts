import { isTokenByte } from './header-names.js';

/**
 * Header or URI parameters in order, as `[name, value]`; names lower-cased, `undefined` for a
 * flag without `=` (e.g. `;lr`, `;rport`). Quoted values keep their quotes.
 */
export type SipParams = [name: string, value: string | undefined][];

/** The value of a parameter: `undefined` when absent, `''` for a flag (`;lr`). */
export function getParam(params: SipParams, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const [k, v] of params) if (k === want) return v ?? '';
  return undefined;
}

/** Serializes parameters as `;a=b;c`. */
export function formatParams(params: SipParams): string {
  let out = '';
  for (const [k, v] of params) out += v === undefined ? `;${k}` : `;${k}=${v}`;
  return out;
}

/**
 * Parses `*( SEMI generic-param )` starting at `pos` (RFC 3261 section 25.1: `generic-param =
 * token [ EQUAL gen-value ]`, `gen-value = token / host / quoted-string`). Whitespace around
 * `;` and `=` is allowed (SWS). Returns `undefined` when the text does not match.
 */
export function parseParams(text: string, pos = 0): SipParams | undefined {
  const out: SipParams = [];
  const n = text.length;
  let i = skipWs(text, pos);
  while (i < n) {
    if (text.charCodeAt(i) !== 0x3b) return undefined; // ';'
    i = skipWs(text, i + 1);
    const nameStart = i;
    while (i < n && isTokenByte(text.charCodeAt(i))) i++;
    if (i === nameStart) return undefined;
    const name = text.slice(nameStart, i).toLowerCase();
    i = skipWs(text, i);
    if (i < n && text.charCodeAt(i) === 0x3d) {
      // '='
      i = skipWs(text, i + 1);
      const valueStart = i;
      if (i < n && text.charCodeAt(i) === 0x22) {
        const end = quotedEnd(text, i);
        if (end < 0) return undefined;
        i = end;
      } else {
        // token / host (IPv6 references use [ ] and :)
        while (i < n) {
          const c = text.charCodeAt(i);
          if (isTokenByte(c) || c === 0x3a || c === 0x5b || c === 0x5d) i++;
          else break;
        }
        if (i === valueStart) return undefined;
      }
      out.push([name, text.slice(valueStart, i)]);
      i = skipWs(text, i);
    } else {
      out.push([name, undefined]);
    }
  }
  return out;
}

/** Index just past the closing quote of the quoted-string opening at `start`, or -1. */
export function quotedEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) return i + 1;
  }
  return -1;
}

/** Index of the first non-whitespace (SP, HTAB, CR, LF) character at or after `i`. */
export function skipWs(text: string, i: number): number {
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) break;
    i++;
  }
  return i;
}
