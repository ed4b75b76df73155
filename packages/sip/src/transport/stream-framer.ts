/** Result of pulling messages out of a byte stream. */
export type FrameResult =
  | { readonly ok: true; readonly messages: Buffer[]; readonly keepalives: number }
  | { readonly ok: false; readonly error: 'oversized' | 'bad-content-length'; readonly messages: Buffer[] };

const CRLFCRLF = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /^(?:content-length|l)[ \t]*:[ \t]*(\S*)/im;

/**
 * Splits a SIP byte stream (TCP) into messages using the Content-Length header
 * (RFC 3261 section 18.3), skipping CRLF keep-alives between messages (RFC 5626 section 3.5.1).
 * Written here because the transport must frame before any parser runs and must bound memory
 * per connection (`maxMessageSize`) before buffering a whole message.
 */
export class StreamFramer {
  #buffer: Buffer = Buffer.alloc(0);
  readonly #max: number;

  /** @param maxMessageSize - largest header + body accepted, in bytes. */
  constructor(maxMessageSize: number) {
    this.#max = maxMessageSize;
  }

  /** Bytes buffered but not yet framed. */
  get buffered(): number {
    return this.#buffer.length;
  }

  /** The bytes buffered but not yet framed (after an error: the start of the refused message). */
  peek(): Buffer {
    return this.#buffer;
  }

  /** Appends a chunk and returns every complete message now available. */
  push(chunk: Buffer): FrameResult {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const messages: Buffer[] = [];
    let keepalives = 0;
    for (;;) {
      let start = 0;
      while (
        start + 1 < this.#buffer.length &&
        this.#buffer[start] === 0x0d &&
        this.#buffer[start + 1] === 0x0a
      ) {
        start += 2;
      }
      if (start > 0) {
        keepalives += start >= 4 ? 1 : 0;
        this.#buffer = this.#buffer.subarray(start);
      }
      const end = this.#buffer.indexOf(CRLFCRLF);
      if (end < 0) {
        if (this.#buffer.length > this.#max) return { ok: false, error: 'oversized', messages };
        return { ok: true, messages, keepalives };
      }
      const head = this.#buffer.toString('latin1', 0, end);
      const m = CONTENT_LENGTH.exec(head);
      let bodyLength = 0;
      if (m) {
        const raw = m[1] ?? '';
        if (!/^\d{1,9}$/.test(raw)) return { ok: false, error: 'bad-content-length', messages };
        bodyLength = Number(raw);
      }
      const total = end + 4 + bodyLength;
      if (total > this.#max) return { ok: false, error: 'oversized', messages };
      if (this.#buffer.length < total) return { ok: true, messages, keepalives };
      messages.push(Buffer.from(this.#buffer.subarray(0, total)));
      this.#buffer = this.#buffer.subarray(total);
    }
  }
}
