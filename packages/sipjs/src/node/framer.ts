/**
 * Content-Length framing of SIP messages on a stream (RFC 3261 section 18.3). Leading CRLFs
 * (keep-alives, RFC 5626 section 3.5.1) are skipped; a message without Content-Length has an
 * empty body.
 *
 * @internal
 */
export class StreamFramer {
  private buffer: Buffer = Buffer.alloc(0);

  /** Maximum header size before the stream is declared broken (64 KiB). */
  static readonly MAX_HEADER_BYTES = 65_536;

  /**
   * Appends bytes; returns the complete messages now available. Throws on a stream that cannot be
   * framed (a header block beyond the limit or a bad Content-Length): close the connection then.
   */
  push(chunk: Buffer): string[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const messages: string[] = [];
    for (;;) {
      let start = 0;
      while (start < this.buffer.length && (this.buffer[start] === 0x0d || this.buffer[start] === 0x0a)) {
        start++;
      }
      if (start > 0) this.buffer = this.buffer.subarray(start);
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.buffer.length > StreamFramer.MAX_HEADER_BYTES) {
          throw new Error('SIP header block too large on stream');
        }
        return messages;
      }
      const head = this.buffer.subarray(0, end).toString('utf8');
      const match = /(?:^|\r\n)(?:content-length|l)[ \t]*:[ \t]*(\S*)/i.exec(head);
      const length = match ? Number(match[1]) : 0;
      if (!Number.isInteger(length) || length < 0) throw new Error('bad Content-Length on stream');
      const total = end + 4 + length;
      if (this.buffer.length < total) return messages;
      messages.push(this.buffer.subarray(0, total).toString('utf8'));
      this.buffer = this.buffer.subarray(total);
    }
  }
}
