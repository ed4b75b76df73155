import { describe, expect, it } from 'vitest';
import { parseMessage } from './parse-message.js';
import { serializeMessage } from './serialize-message.js';
import type { SipMessage, SipRequest } from './sip-message.js';

const crlf = (lines: string[]): string => lines.join('\r\n');

const INVITE = crlf([
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds',
  'v: SIP/2.0/TCP 192.0.2.7:5070;branch=z9hG4bKxyz;received=10.0.0.1, SIP/2.0/UDP [2001:db8::9];branch=z9hG4bKabc',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.example.com>',
  'f: "Alice A." <sip:alice@atlanta.example.com>;tag=1928301774',
  'i: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
  'X-Custom-Thing: keep me ,as is',
  'Subject: folded',
  '   across lines',
  'm: <sip:alice@pc33.atlanta.example.com>',
  'c: application/sdp',
  'l: 10',
  '',
  'v=0\r\no=a x',
]);

function request(m: SipMessage): SipRequest {
  if (m.kind !== 'request') throw new Error('not a request');
  return m;
}

describe('parseMessage', () => {
  it('parses a request with compact forms, multi-values, folding and unknown headers', () => {
    const r = parseMessage(INVITE);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const m = request(r.value);
    expect(m.method).toBe('INVITE');
    expect(m.uri).toBe('sip:bob@biloxi.example.com');
    expect(m.headers.get('VIA')).toBe('SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds');
    expect(m.headers.getAll('via')).toHaveLength(2);
    expect(m.headers.getList('Via')).toHaveLength(3);
    expect(m.headers.get('from')).toBe('"Alice A." <sip:alice@atlanta.example.com>;tag=1928301774');
    expect(m.headers.get('Call-ID')).toBe('a84b4c76e66710@pc33.atlanta.example.com');
    expect(m.headers.get('x-custom-thing')).toBe('keep me ,as is');
    expect(m.headers.get('subject')).toBe('folded across lines');
    expect(m.headers.get('content-type')).toBe('application/sdp');
    expect(m.body.toString()).toBe('v=0\r\no=a x');
  });

  it('round-trips byte for byte, also after an unrelated header change', () => {
    const r = parseMessage(INVITE);
    if (!r.ok) throw new Error(r.error.message);
    expect(serializeMessage(r.value).toString('latin1')).toBe(INVITE);
    r.value.headers.prepend('Via', 'SIP/2.0/UDP proxy.example.com;branch=z9hG4bKnew');
    const out = serializeMessage(r.value).toString('latin1');
    expect(out).toBe(
      INVITE.replace('Via: SIP', 'Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKnew\r\nVia: SIP'),
    );
  });

  it('rewrites Content-Length when the body is replaced', () => {
    const r = parseMessage(INVITE);
    if (!r.ok) throw new Error(r.error.message);
    r.value.body = Buffer.from('hello');
    const out = serializeMessage(r.value).toString();
    expect(out).toContain('\r\nl: 5\r\n\r\nhello');
    expect(out.startsWith('INVITE sip:bob@biloxi.example.com SIP/2.0\r\n')).toBe(true);
  });

  it('parses a response with an empty reason and ignores bytes after Content-Length', () => {
    const r = parseMessage('\r\nSIP/2.0 100 \r\nContent-Length: 0\r\n\r\ntrailing junk');
    expect(r).toMatchObject({ ok: true, value: { kind: 'response', status: 100, reason: '' } });
    if (r.ok) expect(r.value.body.length).toBe(0);
  });

  it.each([
    ['', 'EMPTY'],
    ['\r\n\r\n', 'EMPTY'],
    ['INVITE sip:a@b SIP/2.0\r\nVia: x\r\n', 'INCOMPLETE'],
    ['garbage\r\n\r\n', 'BAD_START_LINE'],
    ['INVITE  sip:a@b SIP/2.0\r\n\r\n', 'BAD_START_LINE'],
    ['INVITE sip:a@b SIP/2.0 \r\n\r\n', 'BAD_START_LINE'],
    ['INVITE sip:a@b SIP/7.0\r\n\r\n', 'UNSUPPORTED_VERSION'],
    ['INVITE <sip:a@b> SIP/2.0\r\n\r\n', 'BAD_REQUEST_URI'],
    ['INVITE sip:a@b?Route=x SIP/2.0\r\n\r\n', 'BAD_REQUEST_URI'],
    ['SIP/2.0 4294967301 Bad\r\n\r\n', 'BAD_STATUS_CODE'],
    ['SIP/2.0 099 Bad\r\n\r\n', 'BAD_STATUS_CODE'],
    ['INVITE sip:a@b SIP/2.0\r\nNoColon\r\n\r\n', 'BAD_HEADER_LINE'],
    ['INVITE sip:a@b SIP/2.0\r\n folded first\r\n\r\n', 'BAD_HEADER_LINE'],
    ['INVITE sip:a@b SIP/2.0\r\nContent-Length: -3\r\n\r\n', 'BAD_CONTENT_LENGTH'],
    ['INVITE sip:a@b SIP/2.0\r\nContent-Length: 3\r\nl: 4\r\n\r\nabcd', 'BAD_CONTENT_LENGTH'],
    ['INVITE sip:a@b SIP/2.0\r\nContent-Length: 9\r\n\r\nabc', 'BODY_TOO_SHORT'],
  ])('refuses %j with %s', (text, code) => {
    const r = parseMessage(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe(code);
  });

  it('requires Content-Length on streams and enforces the size limit', () => {
    const r = parseMessage('OPTIONS sip:a@b SIP/2.0\r\n\r\n', { stream: true });
    expect(!r.ok && r.error.code).toBe('MISSING_CONTENT_LENGTH');
    const big = parseMessage(`OPTIONS sip:a@b SIP/2.0\r\nX: ${'a'.repeat(200)}\r\n\r\n`, { maxSize: 100 });
    expect(!big.ok && big.error).toMatchObject({ code: 'TOO_LARGE', status: 513 });
  });

  it('strict mode checks header grammar', () => {
    const base = 'OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCSeq: 1 OPTIONS\r\n';
    expect(parseMessage(`${base}\r\n`, { strict: true }).ok).toBe(true);
    const mm = parseMessage(base.replace('1 OPTIONS', '1 INVITE') + '\r\n', { strict: true });
    expect(!mm.ok && mm.error.code).toBe('CSEQ_METHOD_MISMATCH');
    const mf = parseMessage(`${base}Max-Forwards: 300\r\n\r\n`, { strict: true });
    expect(!mf.ok && mf.error).toMatchObject({ code: 'BAD_HEADER_VALUE', header: 'max-forwards' });
    // non-strict parsing leaves values alone
    expect(parseMessage(`${base}Max-Forwards: 300\r\n\r\n`).ok).toBe(true);
  });

  it('keeps non-UTF-8 bytes through a round trip', () => {
    const bytes = Buffer.concat([
      Buffer.from('MESSAGE sip:a@b SIP/2.0\r\nX-Bin: '),
      Buffer.from([0xff, 0xfe, 0x00, 0x80]),
      Buffer.from('\r\nContent-Length: 2\r\n\r\n'),
      Buffer.from([0x00, 0xff]),
    ]);
    const r = parseMessage(bytes);
    if (!r.ok) throw new Error(r.error.message);
    expect(serializeMessage(r.value).equals(bytes)).toBe(true);
    r.value.headers.append('X-New', 'y');
    expect(serializeMessage(r.value).includes(Buffer.from([0xff, 0xfe, 0x00, 0x80]))).toBe(true);
  });
});
