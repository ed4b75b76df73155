/**
 * Just enough SIP message handling for the Node transport: split a message into start line,
 * headers and body, read and rewrite a few header fields (Via, Contact, Request-URI), and
 * serialise it back. SIP.js parses the messages itself; this layer only touches what the transport
 * must change on the wire.
 *
 * @internal
 */

/** Compact header forms (RFC 3261 section 7.3.3 and extensions) mapped to their long names. */
const COMPACT: Readonly<Record<string, string>> = {
  v: 'via',
  m: 'contact',
  l: 'content-length',
  i: 'call-id',
  f: 'from',
  t: 'to',
  c: 'content-type',
  k: 'supported',
  o: 'event',
  r: 'refer-to',
  b: 'referred-by',
  s: 'subject',
  e: 'content-encoding',
  u: 'allow-events',
  x: 'session-expires',
};

/** One header field line. */
export interface HeaderField {
  /** Name as written on the wire. */
  name: string;
  /** Lower-case long name (compact forms expanded). */
  readonly key: string;
  /** Value without leading/trailing whitespace. */
  value: string;
}

/** A SIP message split into parts. */
export interface SipText {
  /** Request-Line or Status-Line. */
  startLine: string;
  /** Header fields in order (folded lines joined). */
  readonly headers: HeaderField[];
  /** Body (may be empty). */
  readonly body: string;
  /** Request method, or undefined for a response. */
  readonly method: string | undefined;
  /** Status code of a response, or undefined for a request. */
  readonly status: number | undefined;
}

/** Lower-case long name of a header field. */
export function headerKey(name: string): string {
  const lower = name.trim().toLowerCase();
  return COMPACT[lower] ?? lower;
}

/** Splits a message; `undefined` when it has no start line or no header/body separator. */
export function parseSipText(text: string): SipText | undefined {
  let split = text.indexOf('\r\n\r\n');
  let sepLength = 4;
  if (split < 0) {
    split = text.indexOf('\n\n');
    sepLength = 2;
  }
  if (split < 0) return undefined;
  const head = text.slice(0, split);
  const body = text.slice(split + sepLength);
  const lines = head.split(/\r?\n/);
  const startLine = lines.shift();
  if (startLine === undefined || startLine.length === 0) return undefined;
  const headers: HeaderField[] = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line) && headers.length > 0) {
      const last = headers[headers.length - 1] as HeaderField;
      last.value = `${last.value} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon).trim();
    headers.push({ name, key: headerKey(name), value: line.slice(colon + 1).trim() });
  }
  const status = /^SIP\/2\.0\s+(\d{3})\b/i.exec(startLine);
  if (status) return { startLine, headers, body, method: undefined, status: Number(status[1]) };
  const request = /^([A-Za-z]+)\s+\S+\s+SIP\/2\.0$/i.exec(startLine.trim());
  if (!request) return undefined;
  return { startLine, headers, body, method: (request[1] as string).toUpperCase(), status: undefined };
}

/** Serialises a message (headers in order, body unchanged). */
export function formatSipText(message: SipText): string {
  let out = `${message.startLine}\r\n`;
  for (const h of message.headers) out += `${h.name}: ${h.value}\r\n`;
  return `${out}\r\n${message.body}`;
}

/** The first value of a header field (its first comma-separated element for Via). */
export function getHeader(message: SipText, key: string): string | undefined {
  return message.headers.find((h) => h.key === key)?.value;
}

/** Splits a header value on commas outside quotes and angle brackets. */
export function splitHeaderValues(value: string): string[] {
  const out: string[] = [];
  let depthAngle = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '"' && value[i - 1] !== '\\') quoted = !quoted;
    else if (!quoted && ch === '<') depthAngle++;
    else if (!quoted && ch === '>') depthAngle = Math.max(0, depthAngle - 1);
    else if (!quoted && depthAngle === 0 && ch === ',') {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out.filter((v) => v.length > 0);
}

/** A parsed Via value. */
export interface Via {
  /** `UDP`, `TCP`, `TLS`, `WS`... */
  readonly transport: string;
  /** sent-by host (IPv6 without brackets). */
  readonly host: string;
  /** sent-by port, if given. */
  readonly port: number | undefined;
  /** Parameters in order (`null` for a flag such as `rport`). */
  readonly params: [string, string | null][];
}

/** Parses one Via value (`SIP/2.0/UDP host:port;branch=...`). */
export function parseVia(value: string): Via | undefined {
  const match =
    /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z]+)\s+(\[[^\]]+\]|[^\s;:]+)(?:\s*:\s*(\d+))?\s*((?:;.*)?)$/i.exec(
      value.trim(),
    );
  if (!match) return undefined;
  const params: [string, string | null][] = [];
  for (const part of (match[4] ?? '').split(';')) {
    const p = part.trim();
    if (p.length === 0) continue;
    const eq = p.indexOf('=');
    params.push(
      eq < 0 ? [p.toLowerCase(), null] : [p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim()],
    );
  }
  const host = (match[2] as string).replace(/^\[|\]$/g, '');
  return {
    transport: (match[1] as string).toUpperCase(),
    host,
    port: match[3] === undefined ? undefined : Number(match[3]),
    params,
  };
}

/** Formats a host for a URI or Via (brackets around IPv6). */
export function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** Serialises a Via value. */
export function formatVia(via: Via): string {
  const sentBy = `${formatHost(via.host)}${via.port === undefined ? '' : `:${via.port}`}`;
  const params = via.params.map(([k, v]) => (v === null ? `;${k}` : `;${k}=${v}`)).join('');
  return `SIP/2.0/${via.transport} ${sentBy}${params}`;
}

/** A Via parameter value (`null` for a flag, `undefined` when absent). */
export function viaParam(via: Via, name: string): string | null | undefined {
  const found = via.params.find(([k]) => k === name);
  return found ? found[1] : undefined;
}

/** Sets (or adds) a Via parameter. */
export function setViaParam(via: Via, name: string, value: string | null): Via {
  const params = via.params.filter(([k]) => k !== name);
  const index = via.params.findIndex(([k]) => k === name);
  const entry: [string, string | null] = [name, value];
  if (index < 0) params.push(entry);
  else params.splice(index, 0, entry);
  return { ...via, params };
}

/** The index of the first Via header field, or -1. */
function topViaIndex(message: SipText): number {
  return message.headers.findIndex((h) => h.key === 'via');
}

/** The top Via value of a message. */
export function topVia(message: SipText): Via | undefined {
  const index = topViaIndex(message);
  if (index < 0) return undefined;
  const first = splitHeaderValues((message.headers[index] as HeaderField).value)[0];
  return first === undefined ? undefined : parseVia(first);
}

/** Replaces the top Via value of a message (other values in the same header line are kept). */
export function replaceTopVia(message: SipText, via: Via): void {
  const index = topViaIndex(message);
  if (index < 0) return;
  const field = message.headers[index] as HeaderField;
  const values = splitHeaderValues(field.value);
  values[0] = formatVia(via);
  field.value = values.join(', ');
}

/** Counts the Via values of a message. */
export function viaCount(message: SipText): number {
  return message.headers
    .filter((h) => h.key === 'via')
    .reduce((n, h) => n + splitHeaderValues(h.value).length, 0);
}

/** The method in CSeq (`INVITE` for `1 INVITE`). */
export function cseqMethod(message: SipText): string | undefined {
  const cseq = getHeader(message, 'cseq');
  const match = cseq === undefined ? null : /^\d+\s+([A-Za-z]+)/.exec(cseq);
  return match ? (match[1] as string).toUpperCase() : undefined;
}

/** Whether the To header carries a tag. */
export function hasToTag(message: SipText): boolean {
  const to = getHeader(message, 'to');
  if (to === undefined) return false;
  const afterUri = to.includes('>') ? to.slice(to.lastIndexOf('>')) : to;
  return /;\s*tag\s*=/i.test(afterUri);
}

/** A host and port parsed out of a SIP URI. */
export interface UriTarget {
  /** Host (IPv6 without brackets). */
  readonly host: string;
  /** Port, if given. */
  readonly port: number | undefined;
  /** The `transport` parameter, lower case. */
  readonly transport: string | undefined;
  /** The user part. */
  readonly user: string | undefined;
  /** Whether the URI has the `lr` parameter. */
  readonly lr: boolean;
}

/** Parses the host part of a `sip:`/`sips:` URI (with or without angle brackets). */
export function parseUriTarget(text: string): UriTarget | undefined {
  const inner = text.includes('<') ? text.slice(text.indexOf('<') + 1, text.indexOf('>')) : text.trim();
  const match = /^sips?:(?:([^@;?]*)@)?(\[[^\]]+\]|[^:;?>]+)(?::(\d+))?([^?]*)/i.exec(inner);
  if (!match) return undefined;
  const params = (match[4] ?? '').toLowerCase();
  const transport = /;transport=([a-z]+)/.exec(params);
  const user = match[1];
  return {
    host: (match[2] as string).replace(/^\[|\]$/g, ''),
    port: match[3] === undefined ? undefined : Number(match[3]),
    transport: transport ? transport[1] : undefined,
    user: user === undefined || user.length === 0 ? undefined : user.split(':')[0],
    lr: /;lr(?:[;=]|$)/.test(params),
  };
}

/** The Request-URI of a request. */
export function requestUri(message: SipText): string | undefined {
  return /^\S+\s+(\S+)\s+SIP\/2\.0$/i.exec(message.startLine.trim())?.[1];
}

/** Replaces the Request-URI of a request. */
export function setRequestUri(message: SipText, uri: string): void {
  const match = /^(\S+)\s+\S+\s+(SIP\/2\.0)$/i.exec(message.startLine.trim());
  if (match) message.startLine = `${match[1]} ${uri} ${match[2]}`;
}
