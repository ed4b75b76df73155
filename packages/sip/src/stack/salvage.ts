import { headerKey } from '../message/index.js';
import type { HeaderTuple } from '../message/index.js';
import { makeRequest } from './wire-message.js';
import type { StackRequest } from './wire-message.js';

const KEEP = new Set(['via', 'from', 'to', 'call-id', 'cseq']);
const SCAN_LIMIT = 16_384;

/**
 * Reads what a stateless error response needs (method, Via, From, To, Call-ID, CSeq) out of a
 * request the parser refused (RFC 4475 section 3.1.2: bad Request-URI, start line or
 * Content-Length) or that was too large to parse (RFC 3261 section 21.5.14). Only the first
 * 16 KB are looked at. Returns `undefined` for a response or for bytes with no request line.
 */
export function salvageRequest(data: Buffer): StackRequest | undefined {
  const text = data.toString('latin1', 0, Math.min(data.length, SCAN_LIMIT)).replace(/^[\r\n]+/, '');
  const blank = /\r?\n\r?\n/.exec(text);
  const head = blank === null ? text : text.slice(0, blank.index);
  const lines = head.split(/\r?\n/);
  const start = /^([!-~]+) +(\S+)/.exec(lines[0] ?? '');
  if (start === null || start[1]!.startsWith('SIP/')) return undefined;
  const headers: HeaderTuple[] = [];
  for (let i = 1; i < lines.length; i++) {
    let line = lines[i]!;
    // Folded continuation lines (RFC 3261 section 7.3.1).
    while (i + 1 < lines.length && /^[ \t]/.test(lines[i + 1]!)) line += ` ${lines[++i]!.trim()}`;
    const m = /^([!-9;-~]+)[ \t]*:[ \t]*(.*)$/.exec(line);
    if (m === null) continue;
    const key = headerKey(m[1]!);
    if (KEEP.has(key)) headers.push([m[1]!, m[2]!.trim()]);
  }
  return makeRequest(start[1]!, start[2]!, headers, Buffer.alloc(0));
}
