import { describe, expect, it } from 'vitest';
import { StreamFramer } from './stream-framer.js';

const msg = (body: string, header = 'Content-Length'): string =>
  `OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nCall-ID: x\r\n${header}: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

describe('StreamFramer (RFC 3261 18.3)', () => {
  it('splits concatenated messages and reassembles split ones', () => {
    const f = new StreamFramer(65_535);
    const all = Buffer.from(msg('hello') + msg('') + msg('abc', 'l'));
    const out: string[] = [];
    for (let i = 0; i < all.length; i += 7) {
      const r = f.push(all.subarray(i, i + 7));
      expect(r.ok).toBe(true);
      out.push(...r.messages.map((m) => m.toString()));
    }
    expect(out).toEqual([msg('hello'), msg(''), msg('abc', 'l')]);
    expect(f.buffered).toBe(0);
  });

  it('skips CRLF keep-alives between messages', () => {
    const f = new StreamFramer(65_535);
    const r = f.push(Buffer.from('\r\n\r\n' + msg('x')));
    expect(r).toMatchObject({ ok: true, keepalives: 1 });
    expect(r.messages.map(String)).toEqual([msg('x')]);
  });

  it('rejects a message larger than the limit before buffering its body', () => {
    const f = new StreamFramer(100);
    const r = f.push(Buffer.from(msg('y'.repeat(200)).slice(0, 80)));
    expect(r.ok).toBe(false);
    expect(r.ok === false && r.error).toBe('oversized');
  });

  it('rejects a header block that grows past the limit without CRLFCRLF', () => {
    const f = new StreamFramer(100);
    expect(f.push(Buffer.alloc(101, 0x41)).ok).toBe(false);
  });

  it('rejects a non-numeric Content-Length', () => {
    const f = new StreamFramer(1000);
    const r = f.push(Buffer.from('OPTIONS sip:a SIP/2.0\r\nContent-Length: -5\r\n\r\n'));
    expect(r.ok === false && r.error).toBe('bad-content-length');
  });
});
