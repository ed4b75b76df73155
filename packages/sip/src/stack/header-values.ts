import { isIP } from 'node:net';
import type { TransportProtocol } from '../transport/index.js';

/** A parsed Via header value (RFC 3261 20.42, RFC 3581). */
export interface ViaValue {
  /** `UDP`, `TCP`, ... upper-cased. */
  readonly transport: string;
  /** sent-by host (IPv6 without brackets). */
  readonly host: string;
  /** sent-by port, if given. */
  readonly port: number | undefined;
  /** Parameters in order; a value of `undefined` is a flag (e.g. `rport`). */
  readonly params: [string, string | undefined][];
}

/**
 * Parses one Via value; `undefined` if malformed. Any `SIP/x.y` version is read, so that a
 * request of another SIP version can still be answered 505 (RFC 3261 section 21.5.7).
 */
export function parseVia(value: string): ViaValue | undefined {
  const m =
    /^SIP\s*\/\s*\d{1,3}\.\d{1,3}\s*\/\s*([A-Za-z]+)\s+(\[[0-9A-Fa-f:.]+\]|[^\s:;]+)(?:\s*:\s*(\d+))?\s*((?:;.*)?)$/.exec(
      value.trim(),
    );
  if (!m) return undefined;
  const port = m[3] === undefined ? undefined : Number(m[3]);
  if (port !== undefined && (port <= 0 || port > 65_535)) return undefined;
  return {
    transport: m[1]!.toUpperCase(),
    host: m[2]!.replace(/^\[|\]$/g, ''),
    port,
    params: parseParams(m[4] ?? ''),
  };
}

/** Serializes a {@link ViaValue}. */
export function formatVia(via: ViaValue): string {
  const host = via.host.includes(':') ? `[${via.host}]` : via.host;
  const port = via.port === undefined ? '' : `:${via.port}`;
  return `SIP/2.0/${via.transport} ${host}${port}${formatParams(via.params)}`;
}

/**
 * Calls `visit` with each `name[=value]` of `;a=b;c` (name trimmed and lower-cased, value trimmed,
 * empty parts skipped) until it returns true. Walks the text with `indexOf`: parameters are read
 * on every message, and a split and a trim per part would allocate for each.
 */
function eachParam(text: string, visit: (name: string, value: string | undefined) => boolean): void {
  const n = text.length;
  let start = 0;
  // The first '=' at or after `start` (`n` when there is none), searched again only once passed:
  // linear in `text`.
  let eq = -1;
  while (start <= n) {
    let end = text.indexOf(';', start);
    if (end < 0) end = n;
    if (eq < start) {
      eq = text.indexOf('=', start);
      if (eq < 0) eq = n;
    }
    if (eq < end) {
      if (visit(text.slice(start, eq).trim().toLowerCase(), text.slice(eq + 1, end).trim())) return;
    } else if (end > start) {
      const name = text.slice(start, end).trim();
      if (name !== '' && visit(name.toLowerCase(), undefined)) return;
    }
    start = end + 1;
  }
}

/** Parses `;a=b;c` into pairs. */
export function parseParams(text: string): [string, string | undefined][] {
  const out: [string, string | undefined][] = [];
  eachParam(text, (name, value) => {
    out.push([name, value]);
    return false;
  });
  return out;
}

/** Serializes parameter pairs as `;a=b;c`. */
export function formatParams(params: readonly [string, string | undefined][]): string {
  let out = '';
  for (const [k, v] of params) out += v === undefined ? `;${k}` : `;${k}=${v}`;
  return out;
}

/** Looks a parameter up; `null` when absent, `undefined` when present as a flag. */
export function param(
  params: readonly [string, string | undefined][],
  name: string,
): string | undefined | null {
  const hit = params.find(([k]) => k === name);
  return hit === undefined ? null : hit[1];
}

/** A name-addr or addr-spec (From, To, Contact, Route, Record-Route) split into parts. */
export interface NameAddr {
  /** Display name (with quotes as written), if any. */
  readonly display: string | undefined;
  /** The URI inside `<>` or the bare addr-spec. */
  readonly uri: string;
  /** Header parameters after the URI (e.g. `tag`). */
  readonly params: [string, string | undefined][];
}

/** Parses a name-addr / addr-spec (RFC 3261 20.10, 20.20, 20.39). */
export function parseNameAddr(value: string): NameAddr | undefined {
  const v = value.trim();
  const lt = v.indexOf('<');
  if (lt >= 0) {
    const gt = v.indexOf('>', lt);
    if (gt < 0) return undefined;
    const display = v.slice(0, lt).trim();
    return {
      display: display === '' ? undefined : display,
      uri: v.slice(lt + 1, gt).trim(),
      params: parseParams(v.slice(gt + 1)),
    };
  }
  // addr-spec: header parameters follow the URI (RFC 3261 20.10: URI parameters need <>).
  const semi = v.indexOf(';');
  if (semi < 0) return v === '' ? undefined : { display: undefined, uri: v, params: [] };
  return { display: undefined, uri: v.slice(0, semi).trim(), params: parseParams(v.slice(semi)) };
}

/** The `tag` parameter of a From or To value. */
export function tagOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  // The header parameters, as parseNameAddr finds them: after the `>`, or after the addr-spec.
  const lt = value.indexOf('<');
  let from: number;
  if (lt >= 0) {
    const gt = value.indexOf('>', lt);
    if (gt < 0) return undefined;
    from = gt + 1;
  } else {
    from = value.indexOf(';');
    if (from < 0) return undefined;
  }
  let tag: string | undefined;
  eachParam(value.slice(from), (name, v) => {
    if (name !== 'tag') return false;
    tag = v;
    return true;
  });
  return tag;
}

/** Appends `;tag=...` to a From/To value. */
export function withTag(value: string, tag: string): string {
  return `${value};tag=${tag}`;
}

/** A parsed CSeq (RFC 3261 20.16). */
export interface CSeqValue {
  /** Sequence number, 0 to 2^31-1. */
  readonly seq: number;
  /** Method, upper-case. */
  readonly method: string;
}

/** Parses a CSeq value. */
export function parseCSeq(value: string | undefined): CSeqValue | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d{1,10})\s+([A-Za-z0-9.!%*_+`'~-]+)$/.exec(value.trim());
  if (!m) return undefined;
  const seq = Number(m[1]);
  if (seq > 2 ** 31 - 1) return undefined;
  return { seq, method: m[2]! };
}

/** Host, port and transport of a SIP URI, for routing (RFC 3263 simplified to literal IPs). */
export interface UriTarget {
  /** `sip` or `sips`. */
  readonly scheme: string;
  /** Host (IPv6 without brackets). */
  readonly host: string;
  /** Explicit port, if any. */
  readonly port: number | undefined;
  /** Value of the `transport` URI parameter, lower-cased. */
  readonly transport: string | undefined;
  /** True when the URI has the `lr` parameter (loose routing, RFC 3261 16.12). */
  readonly lr: boolean;
}

/** Parses the routing-relevant parts of a `sip:` / `sips:` URI. */
export function parseSipUri(uri: string): UriTarget | undefined {
  const m = /^(sips?):(?:[^@;?]*@)?(\[[0-9A-Fa-f:.]+\]|[^:;?>]+)(?::(\d+))?([^?]*)/i.exec(uri.trim());
  if (!m) return undefined;
  const params = parseParams(m[4] ?? '');
  const t = param(params, 'transport');
  return {
    scheme: m[1]!.toLowerCase(),
    host: m[2]!.replace(/^\[|\]$/g, ''),
    port: m[3] === undefined ? undefined : Number(m[3]),
    transport: typeof t === 'string' ? t.toLowerCase() : undefined,
    lr: param(params, 'lr') !== null,
  };
}

/** Where to send a request, resolved from a URI: only literal IP hosts are routable (no DNS). */
export function uriDestination(
  uri: string,
  fallback: TransportProtocol,
): { transport: TransportProtocol; host: string; port: number } | undefined {
  const t = parseSipUri(uri);
  if (!t || isIP(t.host) === 0) return undefined;
  const transport: TransportProtocol =
    t.transport === 'tcp' ? 'tcp' : t.transport === 'udp' ? 'udp' : fallback;
  return { transport, host: t.host, port: t.port ?? 5060 };
}
