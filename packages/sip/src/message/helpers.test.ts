import { describe, expect, it } from 'vitest';
import { createRequest, createResponse } from './create-message.js';
import { Headers } from './headers.js';
import { generateBranch, generateCallId, generateTag } from './ids.js';
import { MessageFramer } from './message-framer.js';
import { formatNameAddr, getTag, parseNameAddr } from './name-addr.js';
import { parseMessage } from './parse-message.js';
import { defaultReasonPhrase } from './reason-phrases.js';
import { parseCSeq, parseMaxForwards } from './scalar-headers.js';
import { serializeMessage } from './serialize-message.js';
import { checkMandatoryHeaders } from './validate-message.js';
import { formatVia, parseVia } from './via.js';

describe('Via', () => {
  it('parses transport, host, port, branch, received and rport', () => {
    const r = parseVia(
      'SIP / 2.0 / udp [2001:db8::1] : 5070 ;branch=z9hG4bK74bf9;received=192.0.2.1;rport=5071;x',
    );
    expect(r).toMatchObject({
      ok: true,
      value: {
        transport: 'UDP',
        host: '2001:db8::1',
        port: 5070,
        branch: 'z9hG4bK74bf9',
        received: '192.0.2.1',
        rport: 5071,
      },
    });
    expect(parseVia('SIP/2.0/TCP h;rport')).toMatchObject({ ok: true, value: { rport: true } });
    expect(parseVia('SIP/2.0/UDP 192.0.2.15;;,').ok).toBe(false);
    expect(parseVia('HTTP/1.1/TCP h').ok).toBe(false);
    expect(parseVia('SIP/2.0/UDP h:70000').ok).toBe(false);
  });

  it('formats and re-parses', () => {
    const text = formatVia({ transport: 'udp', host: '::1', port: 5060, branch: 'z9hG4bKx', rport: true });
    expect(text).toBe('SIP/2.0/UDP [::1]:5060;branch=z9hG4bKx;rport');
    expect(parseVia(text)).toMatchObject({ ok: true, value: { host: '::1', port: 5060, rport: true } });
  });
});

describe('name-addr', () => {
  it('parses display names, URIs and tags', () => {
    expect(parseNameAddr('"A \\"q\\"" <sip:a@b;lr>;tag=1')).toMatchObject({
      ok: true,
      value: { displayName: 'A "q"', uri: 'sip:a@b;lr', tag: '1' },
    });
    expect(parseNameAddr('Bob  Smith <sip:b@c>')).toMatchObject({
      ok: true,
      value: { displayName: 'Bob Smith' },
    });
    expect(parseNameAddr('sip:a@b;tag=x')).toMatchObject({ ok: true, value: { uri: 'sip:a@b', tag: 'x' } });
    expect(parseNameAddr('"unterminated <sip:a@b>').ok).toBe(false);
    expect(parseNameAddr('Bell, Alexander <sip:a@b>').ok).toBe(false);
    expect(parseNameAddr('< sip:a@b >').ok).toBe(false);
    expect(parseNameAddr('sip:a@b?Route=x').ok).toBe(false);
    expect(getTag('<sip:a@b>;tag=abc')).toBe('abc');
    expect(formatNameAddr({ displayName: 'A "x"', uri: 'sip:a@b', tag: 't' })).toBe(
      '"A \\"x\\"" <sip:a@b>;tag=t',
    );
  });
});

describe('scalars and ids', () => {
  it('parses CSeq and Max-Forwards within range', () => {
    expect(parseCSeq('  42 INVITE ')).toEqual({ ok: true, value: { seq: 42, method: 'INVITE' } });
    expect(parseCSeq('2147483648 INVITE').ok).toBe(false);
    expect(parseCSeq('1').ok).toBe(false);
    expect(parseMaxForwards('255')).toEqual({ ok: true, value: 255 });
    expect(parseMaxForwards('256').ok).toBe(false);
  });
  it('generates distinct RFC 3261 identifiers', () => {
    const b = generateBranch();
    expect(b.startsWith('z9hG4bK')).toBe(true);
    expect(b).not.toBe(generateBranch());
    expect(generateTag()).toMatch(/^[0-9a-f]{16}$/);
    expect(generateCallId('h.example')).toMatch(/@h\.example$/);
    expect(defaultReasonPhrase(486)).toBe('Busy Here');
    expect(defaultReasonPhrase(499)).toBe('Client Error');
  });
});

describe('Headers', () => {
  it('sets, appends, prepends, removes', () => {
    const h = new Headers([
      ['Via', 'a, b'],
      ['To', 't'],
    ]);
    h.prepend('v', 'z');
    expect(h.getList('via')).toEqual(['z', 'a', 'b']);
    expect(h.removeFirst('Via')).toBe('z');
    expect(h.removeFirst('Via')).toBe('a');
    expect(h.getAll('via')).toEqual(['b']);
    h.set('t', ['x', 'y']);
    expect(h.getAll('To')).toEqual(['x', 'y']);
    expect(h.delete('TO')).toBe(2);
    expect(h.modified).toBe(true);
  });
});

describe('createRequest / createResponse', () => {
  const req = createRequest({
    method: 'INVITE',
    uri: 'sip:bob@127.0.0.1:5062',
    from: { uri: 'sip:alice@127.0.0.1', displayName: 'Alice' },
    to: { uri: 'sip:bob@127.0.0.1' },
    via: { transport: 'UDP', host: '127.0.0.1', port: 5060, rport: true },
    contact: { uri: 'sip:alice@127.0.0.1:5060' },
    headers: [['Timestamp', '54']],
    body: 'v=0\r\n',
    contentType: 'application/sdp',
  });

  it('builds a request that parses back with the mandatory headers', () => {
    const bytes = serializeMessage(req);
    const r = parseMessage(bytes, { strict: true, stream: true });
    if (!r.ok || r.value.kind !== 'request') throw new Error('parse failed');
    expect(checkMandatoryHeaders(r.value).ok).toBe(true);
    expect(r.value.headers.get('content-length')).toBe('5');
    expect(getTag(r.value.headers.get('from'))).toMatch(/^[0-9a-f]{16}$/);
    expect(parseVia(r.value.headers.get('via')!)).toMatchObject({ ok: true, value: { rport: true } });
  });

  it('copies Via, From, To, Call-ID, CSeq and adds a To tag (RFC 3261 8.2.6)', () => {
    req.headers.append('Via', 'SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK2');
    const res = createResponse(req, 200, undefined, {
      toTag: 'tt',
      headers: [['Contact', '<sip:b@127.0.0.1>']],
    });
    expect(res.reason).toBe('OK');
    expect(res.headers.getAll('via')).toEqual(req.headers.getAll('via'));
    expect(res.headers.get('from')).toBe(req.headers.get('from'));
    expect(getTag(res.headers.get('to'))).toBe('tt');
    expect(res.headers.get('call-id')).toBe(req.headers.get('call-id'));
    expect(res.headers.get('cseq')).toBe('1 INVITE');
    expect(res.headers.get('timestamp')).toBeUndefined();
    const trying = createResponse(req, 100);
    expect(getTag(trying.headers.get('to'))).toBeUndefined();
    expect(trying.headers.get('timestamp')).toBe('54');
    const text = serializeMessage(res).toString();
    expect(text.startsWith('SIP/2.0 200 OK\r\n')).toBe(true);
    expect(text.endsWith('Content-Length: 0\r\n\r\n')).toBe(true);
  });

  it('checkMandatoryHeaders answers 400 or 483', () => {
    const missing = parseMessage('OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n\r\n');
    if (!missing.ok || missing.value.kind !== 'request') throw new Error('parse failed');
    expect(checkMandatoryHeaders(missing.value)).toEqual({
      ok: false,
      error: { code: 'MISSING_HEADER', status: 400, reason: 'Missing From' },
    });
    req.headers.set('Max-Forwards', '0');
    expect(checkMandatoryHeaders(req)).toMatchObject({ ok: false, error: { status: 483 } });
  });
});

describe('MessageFramer', () => {
  const msg = 'OPTIONS sip:a@b SIP/2.0\r\nl: 3\r\n\r\nabc';
  it('frames by Content-Length across chunks and reports keep-alives', () => {
    const f = new MessageFramer();
    const all = Buffer.from(`\r\n\r\n${msg}${msg}\r\n`);
    const items = [];
    for (let i = 0; i < all.length; i += 7) items.push(...f.push(all.subarray(i, i + 7)));
    expect(items.map((x) => x.type)).toEqual(['keepalive', 'message', 'message']);
    const first = items[1];
    expect(first?.type === 'message' && first.data.toString()).toBe(msg);
  });
  it('fails with typed errors', () => {
    expect(new MessageFramer().push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\n\r\n'))).toMatchObject([
      { type: 'error', error: { code: 'MISSING_CONTENT_LENGTH' } },
    ]);
    const f = new MessageFramer({ maxMessageSize: 40 });
    expect(f.push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nl: 100\r\n\r\n'))).toMatchObject([
      { type: 'error', error: { code: 'TOO_LARGE', status: 513 } },
    ]);
    expect(f.push(Buffer.from('x'))[0]?.type).toBe('error');
    expect(new MessageFramer({ maxMessageSize: 10 }).push(Buffer.from('x'.repeat(11)))).toMatchObject([
      { type: 'error', error: { code: 'TOO_LARGE' } },
    ]);
  });
});
