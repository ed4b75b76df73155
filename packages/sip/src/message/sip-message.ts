import type { Headers } from './headers.js';

/** Fields shared by requests and responses. */
export interface SipMessageBase {
  /** The header lines, in order. */
  readonly headers: Headers;
  /** The body bytes (empty when none); assigning a new Buffer updates Content-Length on output. */
  body: Buffer;
}

/** A SIP request (RFC 3261 section 7.1). */
export interface SipRequest extends SipMessageBase {
  /** Discriminant. */
  readonly kind: 'request';
  /** Method token as written, case-sensitive (`INVITE`, `REFER` ...). */
  method: string;
  /** Request-URI text. */
  uri: string;
}

/** A SIP response (RFC 3261 section 7.2). */
export interface SipResponse extends SipMessageBase {
  /** Discriminant. */
  readonly kind: 'response';
  /** Status code, 100-699. */
  status: number;
  /** Reason phrase as written (may be empty). */
  reason: string;
}

/** A request or a response; narrow on `kind`. */
export type SipMessage = SipRequest | SipResponse;

/** @internal what the parser saw, so unmodified parts are written back byte for byte. */
export interface SourceSnapshot {
  /** The whole message as received (start line through the body's last byte). */
  readonly bytes: Buffer;
  /** The start line with its line end. */
  readonly startLine: Buffer;
  /** method or status as parsed. */
  readonly a: string | number;
  /** uri or reason as parsed. */
  readonly b: string;
  /** The body as parsed (identity is compared). */
  readonly body: Buffer;
}

const sources = new WeakMap<SipMessage, SourceSnapshot>();

/** @internal */
export function setSource(msg: SipMessage, snap: SourceSnapshot): void {
  sources.set(msg, snap);
}

/** @internal */
export function getSource(msg: SipMessage): SourceSnapshot | undefined {
  return sources.get(msg);
}
