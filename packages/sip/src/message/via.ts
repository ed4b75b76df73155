import { formatParams, getParam, parseParams, skipWs, type SipParams } from './header-params.js';
import { isTokenByte } from './header-names.js';
import { sipParseError, type ParseResult } from './parse-error.js';

/** One Via element (RFC 3261 section 20.42, with `received` section 18.2.1 and `rport` RFC 3581). */
export interface Via {
  /** Transport, upper-cased: `UDP`, `TCP`, `TLS`, `SCTP`, `WS` ... */
  readonly transport: string;
  /** sent-by host; IPv6 without brackets. */
  readonly host: string;
  /** sent-by port when given. */
  readonly port?: number;
  /** The `branch` parameter (`z9hG4bK...` for RFC 3261 elements, section 8.1.1.7). */
  readonly branch?: string;
  /** The `received` parameter. */
  readonly received?: string;
  /** The `rport` parameter: `true` when present without value (a request asking for it), the port when filled in. */
  readonly rport?: number | true;
  /** All parameters in order, including the ones above. */
  readonly params: SipParams;
}

/** Parses one Via element (not a comma-joined list: split with `Headers.getList('Via')` first). */
export function parseVia(value: string): ParseResult<Via> {
  const bad = (why: string): ParseResult<Via> => ({
    ok: false,
    error: sipParseError('BAD_HEADER_VALUE', `Via: ${why}`, 'via'),
  });
  const t = value;
  const n = t.length;
  // sent-protocol = protocol-name SLASH protocol-version SLASH transport (SLASH allows SWS)
  let i = skipWs(t, 0);
  const parts: string[] = [];
  for (let k = 0; k < 3; k++) {
    const s = i;
    while (i < n && isTokenByte(t.charCodeAt(i))) i++;
    if (i === s) return bad('bad sent-protocol');
    parts.push(t.slice(s, i));
    i = skipWs(t, i);
    if (k < 2) {
      if (t.charCodeAt(i) !== 0x2f) return bad('bad sent-protocol');
      i = skipWs(t, i + 1);
    }
  }
  if (parts[0]!.toUpperCase() !== 'SIP') return bad('protocol is not SIP');
  const transport = parts[2]!.toUpperCase();
  // sent-by = host [ COLON port ]
  let host: string;
  if (t.charCodeAt(i) === 0x5b) {
    const close = t.indexOf(']', i);
    if (close < 0) return bad('unterminated IPv6 reference');
    host = t.slice(i + 1, close);
    i = close + 1;
  } else {
    const s = i;
    while (i < n) {
      const c = t.charCodeAt(i);
      if (
        (c >= 0x61 && c <= 0x7a) ||
        (c >= 0x41 && c <= 0x5a) ||
        (c >= 0x30 && c <= 0x39) ||
        c === 0x2d ||
        c === 0x2e
      )
        i++;
      else break;
    }
    host = t.slice(s, i);
  }
  if (host === '') return bad('missing host');
  i = skipWs(t, i);
  let port: number | undefined;
  if (t.charCodeAt(i) === 0x3a) {
    i = skipWs(t, i + 1);
    const s = i;
    while (i < n && t.charCodeAt(i) >= 0x30 && t.charCodeAt(i) <= 0x39) i++;
    if (i === s || i - s > 5) return bad('bad port');
    port = Number(t.slice(s, i));
    if (port > 65535) return bad('bad port');
  }
  const params = parseParams(t, i);
  if (params === undefined) return bad('bad parameters');
  const via: {
    transport: string;
    host: string;
    port?: number;
    branch?: string;
    received?: string;
    rport?: number | true;
    params: SipParams;
  } = { transport, host, params };
  if (port !== undefined) via.port = port;
  const branch = getParam(params, 'branch');
  if (branch !== undefined) {
    if (branch === '') return bad('empty branch');
    via.branch = branch;
  }
  const received = getParam(params, 'received');
  if (received !== undefined) via.received = received;
  const rport = getParam(params, 'rport');
  if (rport !== undefined) {
    if (rport === '') via.rport = true;
    else {
      const p = Number(rport);
      if (!/^\d{1,5}$/.test(rport) || p > 65535) return bad('bad rport');
      via.rport = p;
    }
  }
  return { ok: true, value: via };
}

/** What {@link formatVia} needs; `params` are extra parameters written after branch/received/rport. */
export interface ViaInput {
  /** Transport name, e.g. `UDP`. */
  readonly transport: string;
  /** sent-by host (IPv6 with or without brackets). */
  readonly host: string;
  /** sent-by port. */
  readonly port?: number;
  /** Branch parameter. */
  readonly branch?: string;
  /** received parameter. */
  readonly received?: string;
  /** rport: `true` writes a bare `;rport`. */
  readonly rport?: number | true;
  /** Further parameters, in order. */
  readonly params?: SipParams;
}

/** Writes a Via element, e.g. `SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK...;rport`. */
export function formatVia(via: ViaInput): string {
  const host = via.host.includes(':') && !via.host.startsWith('[') ? `[${via.host}]` : via.host;
  let out = `SIP/2.0/${via.transport.toUpperCase()} ${host}`;
  if (via.port !== undefined) out += `:${via.port}`;
  const known = new Set(['branch', 'received', 'rport']);
  if (via.branch !== undefined) out += `;branch=${via.branch}`;
  if (via.received !== undefined) out += `;received=${via.received}`;
  if (via.rport === true) out += ';rport';
  else if (via.rport !== undefined) out += `;rport=${via.rport}`;
  if (via.params) out += formatParams(via.params.filter(([k]) => !known.has(k) || !(k in via)));
  return out;
}
