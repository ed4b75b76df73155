/**
 * The stack's working view of a SIP message: start line, an ordered header list (names as
 * received, compared case-insensitively, compact forms expanded on lookup), body bytes, and
 * the raw bytes it was parsed from. Header values are kept as text and parsed on demand by
 * the few helpers the transaction and dialog layers need (Via branch, tags, CSeq, URIs).
 */
export interface StackMessageBase {
  /** Ordered `[name, value]` pairs; multi-valued headers may appear once per value or comma-joined. */
  readonly headers: [string, string][];
  /** Body bytes (empty when none). */
  body: Buffer;
}

/** A request as seen by the stack. */
export interface StackRequest extends StackMessageBase {
  /** Discriminant. */
  readonly kind: 'request';
  /** Method token, e.g. `INVITE`. */
  readonly method: string;
  /** Request-URI text. */
  uri: string;
}

/** A response as seen by the stack. */
export interface StackResponse extends StackMessageBase {
  /** Discriminant. */
  readonly kind: 'response';
  /** Status code 100-699. */
  readonly status: number;
  /** Reason phrase. */
  readonly reason: string;
}

/** Either kind. */
export type StackMessage = StackRequest | StackResponse;

const COMPACT: Readonly<Record<string, string>> = {
  v: 'via',
  f: 'from',
  t: 'to',
  i: 'call-id',
  m: 'contact',
  l: 'content-length',
  c: 'content-type',
  k: 'supported',
  s: 'subject',
  e: 'content-encoding',
  o: 'event',
  r: 'refer-to',
  b: 'referred-by',
  x: 'session-expires',
  u: 'allow-events',
};

/** Lower-cases a header name and expands its compact form (RFC 3261 7.3.3). */
export function canonicalHeaderName(name: string): string {
  const lower = name.toLowerCase();
  return COMPACT[lower] ?? lower;
}

/** First value of a header, or `undefined`. */
export function getHeader(msg: StackMessageBase, name: string): string | undefined {
  const want = canonicalHeaderName(name);
  for (const [n, v] of msg.headers) if (canonicalHeaderName(n) === want) return v;
  return undefined;
}

/**
 * Every value of a header, splitting comma-separated lists outside quotes and angle brackets
 * (RFC 3261 7.3.1). Not for headers whose values may contain bare commas (dates, auth).
 */
export function getHeaderValues(msg: StackMessageBase, name: string): string[] {
  const want = canonicalHeaderName(name);
  const out: string[] = [];
  for (const [n, v] of msg.headers) if (canonicalHeaderName(n) === want) out.push(...splitCommas(v));
  return out;
}

/** Splits a header value on commas outside quotes and `<...>`. */
export function splitCommas(value: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === '<') depth++;
    else if (ch === '>') depth = Math.max(0, depth - 1);
    else if (ch === ',' && depth === 0) {
      parts.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(value.slice(start).trim());
  return parts.filter((p) => p.length > 0);
}

/** Replaces every occurrence of a header with one value (or removes it when `value` is undefined). */
export function setHeader(msg: StackMessageBase, name: string, value: string | undefined): void {
  const want = canonicalHeaderName(name);
  const idx = msg.headers.findIndex(([n]) => canonicalHeaderName(n) === want);
  for (let i = msg.headers.length - 1; i >= 0; i--) {
    if (i !== idx && canonicalHeaderName(msg.headers[i]![0]) === want) msg.headers.splice(i, 1);
  }
  if (value === undefined) {
    if (idx >= 0) msg.headers.splice(idx, 1);
  } else if (idx >= 0) {
    msg.headers[idx] = [msg.headers[idx]![0], value];
  } else {
    msg.headers.push([name, value]);
  }
}

/** Result of {@link parseStackMessage}. */
export type ParseStackResult =
  { readonly ok: true; readonly value: StackMessage } | { readonly ok: false; readonly error: string };

const REQUEST_LINE = /^([A-Za-z0-9.!%*_+`'~-]+) (\S+) SIP\/2\.0$/;
const STATUS_LINE = /^SIP\/2\.0 ([1-6]\d\d) ?(.*)$/;

/**
 * Parses one complete message (a datagram or a framed TCP message). Folded header lines are
 * unfolded (RFC 3261 7.3.1); the body is cut at Content-Length when present (RFC 3261 18.3).
 */
export function parseStackMessage(data: Buffer): ParseStackResult {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return { ok: false, error: 'no end of headers' };
  const head = data.toString('utf8', 0, end);
  const lines = head.split('\r\n');
  const start = lines[0] ?? '';
  const headers: [string, string][] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if ((line.startsWith(' ') || line.startsWith('\t')) && headers.length > 0) {
      const last = headers[headers.length - 1]!;
      last[1] = `${last[1]} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) return { ok: false, error: `malformed header line ${i}` };
    const name = line.slice(0, colon).trim();
    if (!/^[A-Za-z0-9.!%*_+`'~-]+$/.test(name)) return { ok: false, error: `bad header name "${name}"` };
    headers.push([name, line.slice(colon + 1).trim()]);
  }
  let body = data.subarray(end + 4);
  const cl = getHeader({ headers, body }, 'content-length');
  if (cl !== undefined) {
    if (!/^\d+$/.test(cl)) return { ok: false, error: 'bad Content-Length' };
    const n = Number(cl);
    if (n > body.length) return { ok: false, error: 'body shorter than Content-Length' };
    body = body.subarray(0, n);
  }
  const sl = STATUS_LINE.exec(start);
  if (sl)
    return {
      ok: true,
      value: { kind: 'response', status: Number(sl[1]), reason: sl[2] ?? '', headers, body },
    };
  const rl = REQUEST_LINE.exec(start);
  if (rl) return { ok: true, value: { kind: 'request', method: rl[1]!, uri: rl[2]!, headers, body } };
  return { ok: false, error: 'bad start line' };
}

/** Serializes a message, writing Content-Length from the body (RFC 3261 20.14). */
export function serializeStackMessage(msg: StackMessage): Buffer {
  const start =
    msg.kind === 'request' ? `${msg.method} ${msg.uri} SIP/2.0` : `SIP/2.0 ${msg.status} ${msg.reason}`;
  let head = start + '\r\n';
  for (const [n, v] of msg.headers) {
    if (canonicalHeaderName(n) === 'content-length') continue;
    head += `${n}: ${v}\r\n`;
  }
  head += `Content-Length: ${msg.body.length}\r\n\r\n`;
  return msg.body.length === 0 ? Buffer.from(head) : Buffer.concat([Buffer.from(head), msg.body]);
}
