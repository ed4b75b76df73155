import { Headers, type HeaderTuple } from './headers.js';
import { addTag, formatNameAddr, type NameAddrInput } from './name-addr.js';
import { generateBranch, generateCallId, generateTag } from './ids.js';
import { defaultReasonPhrase } from './reason-phrases.js';
import type { SipRequest, SipResponse } from './sip-message.js';
import { formatVia, type ViaInput } from './via.js';

/** Extra content for {@link createResponse}. */
export interface CreateResponseOptions {
  /** Headers appended after the copied ones, in order. */
  readonly headers?: readonly HeaderTuple[];
  /** Body bytes or text (UTF-8). */
  readonly body?: Buffer | string;
  /** To tag to add when the request's To has none; default: a generated tag for statuses above 100. */
  readonly toTag?: string;
}

/**
 * Builds a response to a request per RFC 3261 section 8.2.6: Via (all values, in order), From,
 * Call-ID and CSeq copied; To copied with a tag added when it has none (section 8.2.6.2; not for
 * 100 Trying unless `toTag` is given); Timestamp copied into 100 Trying (section 8.2.6.1).
 * The reason defaults to the standard phrase.
 */
export function createResponse(
  request: SipRequest,
  status: number,
  reason?: string,
  options: CreateResponseOptions = {},
): SipResponse {
  const src = request.headers;
  const headers = new Headers();
  for (const f of src) {
    if (f.key === 'via') headers.append(f.name === 'v' ? 'Via' : f.name, f.value);
  }
  const from = src.get('from');
  if (from !== undefined) headers.append('From', from);
  const to = src.get('to');
  if (to !== undefined) {
    const tag = options.toTag ?? (status > 100 ? generateTag() : undefined);
    headers.append('To', tag === undefined ? to : addTag(to, tag));
  }
  const callId = src.get('call-id');
  if (callId !== undefined) headers.append('Call-ID', callId);
  const cseq = src.get('cseq');
  if (cseq !== undefined) headers.append('CSeq', cseq);
  if (status === 100) {
    const ts = src.get('timestamp');
    if (ts !== undefined) headers.append('Timestamp', ts);
  }
  for (const [n, v] of options.headers ?? []) headers.append(n, v);
  const body =
    options.body === undefined
      ? Buffer.alloc(0)
      : typeof options.body === 'string'
        ? Buffer.from(options.body, 'utf8')
        : options.body;
  return { kind: 'response', status, reason: reason ?? defaultReasonPhrase(status), headers, body };
}

/** What {@link createRequest} needs. */
export interface CreateRequestInput {
  /** Method, e.g. `INVITE`. */
  readonly method: string;
  /** Request-URI. */
  readonly uri: string;
  /** From; a tag is generated when none is given (RFC 3261 section 8.1.1.3). */
  readonly from: NameAddrInput;
  /** To; no tag outside a dialog (section 8.1.1.2). */
  readonly to: NameAddrInput;
  /** Call-ID; generated when absent. */
  readonly callId?: string;
  /** CSeq number; default 1. */
  readonly cseq?: number;
  /** Via element(s) top first; a single one without branch gets a generated branch. Omit to let the transport add it. */
  readonly via?: ViaInput | readonly ViaInput[];
  /** Max-Forwards; default 70 (section 8.1.1.6). */
  readonly maxForwards?: number;
  /** Contact; required in INVITE and other dialog-creating requests (section 8.1.1.8). */
  readonly contact?: NameAddrInput;
  /** Route set, top first. */
  readonly route?: readonly string[];
  /** Further headers, in order, after the standard ones. */
  readonly headers?: readonly HeaderTuple[];
  /** Body; give `contentType` with it. */
  readonly body?: Buffer | string;
  /** Content-Type of the body. */
  readonly contentType?: string;
}

/**
 * Builds a request with the headers RFC 3261 section 8.1.1 requires, in the customary order:
 * Via, Max-Forwards, Route, From, To, Call-ID, CSeq, Contact, extras, Content-Type,
 * Content-Length.
 */
export function createRequest(input: CreateRequestInput): SipRequest {
  const headers = new Headers();
  const vias =
    input.via === undefined
      ? []
      : Array.isArray(input.via)
        ? (input.via as readonly ViaInput[])
        : [input.via as ViaInput];
  for (const v of vias)
    headers.append('Via', formatVia(v.branch === undefined ? { ...v, branch: generateBranch() } : v));
  headers.append('Max-Forwards', String(input.maxForwards ?? 70));
  for (const r of input.route ?? []) headers.append('Route', r);
  headers.append(
    'From',
    formatNameAddr(input.from.tag === undefined ? { ...input.from, tag: generateTag() } : input.from),
  );
  headers.append('To', formatNameAddr(input.to));
  headers.append('Call-ID', input.callId ?? generateCallId());
  headers.append('CSeq', `${input.cseq ?? 1} ${input.method}`);
  if (input.contact !== undefined) headers.append('Contact', formatNameAddr(input.contact));
  for (const [n, v] of input.headers ?? []) headers.append(n, v);
  const body =
    input.body === undefined
      ? Buffer.alloc(0)
      : typeof input.body === 'string'
        ? Buffer.from(input.body, 'utf8')
        : input.body;
  if (input.contentType !== undefined) headers.append('Content-Type', input.contentType);
  headers.append('Content-Length', String(body.length));
  return { kind: 'request', method: input.method, uri: input.uri, headers, body };
}
