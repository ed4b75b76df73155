import { headerKey } from './header-names.js';
import { sipParseError, type SipParseError } from './parse-error.js';

/** What {@link MessageFramer.push} yields, in stream order. */
export type FramedItem =
  /** One complete message (start line through body), ready for `parseMessage(data, { stream: true })`. */
  | { readonly type: 'message'; readonly data: Buffer }
  /** A CRLFCRLF keep-alive ping (RFC 5626 section 3.5.1); answer with a single CRLF pong. */
  | { readonly type: 'keepalive' }
  /** The stream cannot be framed any further; close the connection. */
  | { readonly type: 'error'; readonly error: SipParseError };

/** Options of {@link MessageFramer}. */
export interface MessageFramerOptions {
  /** Largest message (headers + body) accepted, in bytes; default 65535. */
  readonly maxMessageSize?: number;
}

const CR = 0x0d;
const LF = 0x0a;

/**
 * Splits a SIP byte stream (TCP, TLS) into messages by Content-Length (RFC 3261 section 18.3).
 * CRLFs between messages are skipped, a CRLFCRLF is reported as a keep-alive ping (RFC 5626
 * section 3.5.1). A missing or malformed Content-Length or a message over `maxMessageSize` ends
 * the stream with a typed error (`MISSING_CONTENT_LENGTH`, `BAD_CONTENT_LENGTH`, `TOO_LARGE`):
 * framing is lost, so the connection must be closed. Memory held is bounded by the limit.
 */
export class MessageFramer {
  #chunks: Buffer[] = [];
  #buf: Buffer = Buffer.alloc(0);
  #scanFrom = 0;
  #failed: SipParseError | undefined;
  readonly #max: number;

  /** @param options - size limit. */
  constructor(options: MessageFramerOptions = {}) {
    this.#max = options.maxMessageSize ?? 65535;
  }

  /** Bytes received but not yet framed. */
  get buffered(): number {
    return this.#buf.length + this.#chunks.reduce((n, c) => n + c.length, 0);
  }

  /** The error that stopped the framer, if any. */
  get error(): SipParseError | undefined {
    return this.#failed;
  }

  /** Adds received bytes and returns every item now complete. After an error, returns it again and frames nothing. */
  push(chunk: Buffer): FramedItem[] {
    if (this.#failed !== undefined) return [{ type: 'error', error: this.#failed }];
    this.#chunks.push(chunk);
    const out: FramedItem[] = [];
    this.#buf =
      this.#chunks.length === 1 && this.#buf.length === 0
        ? chunk
        : Buffer.concat([this.#buf, ...this.#chunks]);
    this.#chunks = [];
    for (;;) {
      const item = this.#next();
      if (item === undefined) break;
      out.push(item);
      if (item.type === 'error') break;
    }
    return out;
  }

  #next(): FramedItem | undefined {
    const buf = this.#buf;
    // Keep-alives and stray line ends between messages (RFC 3261 section 7.5, RFC 5626 section 3.5.1).
    let p = 0;
    while (p < buf.length && (buf[p] === CR || buf[p] === LF)) p++;
    if (p > 0) {
      const ping = p >= 4 && buf[0] === CR && buf[1] === LF && buf[2] === CR && buf[3] === LF;
      if (ping) {
        this.#consume(4);
        return { type: 'keepalive' };
      }
      if (p === buf.length && p < 4) return undefined; // maybe the start of a ping
      this.#consume(p);
      return this.#next();
    }
    if (buf.length === 0) return undefined;
    const end = buf.indexOf('\r\n\r\n', Math.max(0, this.#scanFrom - 3), 'latin1');
    if (end < 0) {
      if (buf.length > this.#max)
        return this.#fail(sipParseError('TOO_LARGE', `header section over ${this.#max} bytes`));
      this.#scanFrom = buf.length;
      return undefined;
    }
    const bodyStart = end + 4;
    const cl = findContentLength(buf, bodyStart);
    if (cl === undefined)
      return this.#fail(
        sipParseError('MISSING_CONTENT_LENGTH', 'Content-Length is mandatory on a stream', 'content-length'),
      );
    if (cl < 0)
      return this.#fail(sipParseError('BAD_CONTENT_LENGTH', 'malformed Content-Length', 'content-length'));
    const total = bodyStart + cl;
    if (total > this.#max)
      return this.#fail(sipParseError('TOO_LARGE', `message of ${total} bytes over ${this.#max}`));
    if (buf.length < total) {
      this.#scanFrom = 0;
      return undefined;
    }
    const data = buf.subarray(0, total);
    this.#consume(total);
    return { type: 'message', data };
  }

  #consume(n: number): void {
    this.#buf = this.#buf.subarray(n);
    this.#scanFrom = 0;
  }

  #fail(error: SipParseError): FramedItem {
    this.#failed = error;
    this.#buf = Buffer.alloc(0);
    return { type: 'error', error };
  }
}

/** Content-Length in the header section `buf[0, end)`: the value, -1 when malformed, undefined when absent. */
function findContentLength(buf: Buffer, end: number): number | undefined {
  let i = 0;
  let found: number | undefined;
  while (i < end) {
    const lf = buf.indexOf(LF, i);
    const lineEnd = lf < 0 || lf > end ? end : lf;
    const c = buf[i]! | 0x20;
    if (c === 0x63 /* c */ || c === 0x6c /* l */) {
      const colon = buf.indexOf(0x3a, i);
      if (colon > i && colon < lineEnd) {
        const name = buf.toString('latin1', i, colon).trimEnd();
        if (headerKey(name) === 'content-length') {
          const v = buf.toString('latin1', colon + 1, lineEnd).trim();
          if (!/^\d{1,15}$/.test(v)) return -1;
          found = Number(v);
        }
      }
    }
    i = lineEnd + 1;
  }
  return found;
}
