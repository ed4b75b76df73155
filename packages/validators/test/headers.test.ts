import { describe, expect, it } from 'vitest';
import {
  buildSipfrag,
  expandHeaderName,
  formatEvent,
  formatNameAddr,
  formatSubscriptionState,
  parseEvent,
  parseNameAddr,
  parseReferredBy,
  parseReferSub,
  parseSipfrag,
  parseSubscriptionState,
  splitHeaderList,
} from '../src/index.js';

describe('parseNameAddr', () => {
  it('parses quoted and token display names, URIs and header params', () => {
    expect(parseNameAddr('"Bob \\"B\\"" <sip:bob@biloxi.com>;tag=a6c85cf')).toMatchObject({
      ok: true,
      value: { displayName: 'Bob "B"', uri: { user: 'bob', host: 'biloxi.com' }, params: { tag: 'a6c85cf' } },
    });
    expect(parseNameAddr('Anonymous Caller <sip:c8oqz84zk7z@privacy.org>')).toMatchObject({
      ok: true,
      value: { displayName: 'Anonymous Caller' },
    });
    expect(parseNameAddr('sip:alice@atlanta.com;tag=88sja8x')).toMatchObject({
      ok: true,
      value: { uri: { params: {} }, params: { tag: '88sja8x' } },
    });
    expect(parseNameAddr('<sip:a@b.com;lr>;q="x;y"')).toMatchObject({
      ok: true,
      value: { uri: { params: { lr: null } }, params: { q: '"x;y"' } },
    });
  });

  it.each([
    ['sip:alice;day=tuesday@atlanta.com', 'BRACKETS_REQUIRED'],
    ['sip:alice@atlanta.com?x=y', 'BRACKETS_REQUIRED'],
    ['"unterminated <sip:a@b.com>', 'BAD_NAME_ADDR'],
    ['"Bob" sip:a@b.com', 'BAD_NAME_ADDR'],
    ['Bob <sip:a@b.com', 'BAD_NAME_ADDR'],
    ['B@b <sip:a@b.com>', 'BAD_NAME_ADDR'],
    ['<sip:a@b.com>;tag', 'OK'],
    ['<sip:a@b.com> junk', 'BAD_PARAM'],
    ['<sip:a@b.com>;tag=1;tag=2', 'DUPLICATE_PARAM'],
    ['   ', 'EMPTY'],
  ])('%j -> %s', (text, code) => {
    const r = parseNameAddr(text);
    if (code === 'OK') expect(r.ok).toBe(true);
    else expect(r).toMatchObject({ ok: false, error: { code } });
  });

  it('formats with angle brackets and parses back', () => {
    const r = parseNameAddr('"A \\\\ B" <sip:a@b.com;lr>;tag=1');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const text = formatNameAddr(r.value);
    expect(text).toBe('"A \\\\ B" <sip:a@b.com;lr>;tag=1');
    expect(parseNameAddr(text)).toEqual(r);
  });

  it('splits lists outside quotes and brackets', () => {
    expect(splitHeaderList('<sip:a@x>, "B, Jr" <sip:b@x;p=1,2>,,')).toEqual([
      '<sip:a@x>',
      '"B, Jr" <sip:b@x;p=1,2>',
    ]);
  });
});

describe('sipfrag (RFC 3420)', () => {
  it.each([
    ['SIP/2.0 100 Trying\r\n', 100, 'Trying'],
    ['SIP/2.0 180 Ringing', 180, 'Ringing'],
    ['SIP/2.0 200 OK\n', 200, 'OK'],
    ['SIP/2.0 503 Service Unavailable\r\n\r\n', 503, 'Service Unavailable'],
    ['SIP/2.0 486 \r\n', 486, ''],
    ['sip/2.0 603 Decline\r\n', 603, 'Decline'],
  ])('parses %j', (body, code, reason) => {
    expect(parseSipfrag(body)).toEqual({ ok: true, value: { code, reason, headers: [] } });
  });

  it('tolerates header lines, folding and a body after the blank line', () => {
    const body = 'SIP/2.0 200 OK\r\nContact: <sip:a@b>\r\nX-Long: one\r\n two\r\n\r\nv=0\r\n';
    expect(parseSipfrag(new TextEncoder().encode(body))).toEqual({
      ok: true,
      value: {
        code: 200,
        reason: 'OK',
        headers: [
          ['Contact', '<sip:a@b>'],
          ['X-Long', 'one two'],
        ],
      },
    });
  });

  it.each([
    ['', 'EMPTY'],
    ['\r\n\r\n', 'EMPTY'],
    ['INVITE sip:a@b SIP/2.0\r\n', 'NOT_A_STATUS_LINE'],
    ['SIP/2.0 99 Low\r\n', 'NOT_A_STATUS_LINE'],
    ['SIP/2.0 700 High\r\n', 'NOT_A_STATUS_LINE'],
    ['SIP/2.0 2000 OK\r\n', 'NOT_A_STATUS_LINE'],
    ['SIP/2.0 200 OK\r\nnot a header\r\n', 'BAD_HEADER'],
  ])('refuses %j with %s', (body, code) => {
    expect(parseSipfrag(body)).toMatchObject({ ok: false, error: { code } });
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(parseSipfrag(new Uint8Array([0x53, 0xff]))).toMatchObject({
      ok: false,
      error: { code: 'BAD_ENCODING' },
    });
  });

  it('builds status lines with standard reasons', () => {
    expect(buildSipfrag(100)).toBe('SIP/2.0 100 Trying\r\n');
    expect(buildSipfrag(180)).toBe('SIP/2.0 180 Ringing\r\n');
    expect(buildSipfrag(200)).toBe('SIP/2.0 200 OK\r\n');
    expect(buildSipfrag(486, 'Busy\r\nX: injected')).toBe('SIP/2.0 486 Busy X: injected\r\n');
    expect(buildSipfrag(299)).toBe('SIP/2.0 299 \r\n');
    expect(() => buildSipfrag(99)).toThrow(RangeError);
    expect(() => buildSipfrag(200.5)).toThrow(RangeError);
  });
});

describe('Event, Subscription-State, Refer-Sub, Referred-By', () => {
  it('parses and formats Event: refer;id=N', () => {
    expect(parseEvent('refer;id=93809824')).toEqual({
      ok: true,
      value: { package: 'refer', id: '93809824', params: {} },
    });
    expect(parseEvent(' Refer ; ID = 2 ;x')).toEqual({
      ok: true,
      value: { package: 'refer', id: '2', params: { x: null } },
    });
    expect(parseEvent('refer')).toEqual({ ok: true, value: { package: 'refer', params: {} } });
    expect(formatEvent({ package: 'refer', id: '2', params: {} })).toBe('refer;id=2');
    expect(parseEvent('refer;id')).toMatchObject({ ok: false, error: { code: 'BAD_PARAM' } });
    expect(parseEvent('refer, presence')).toMatchObject({ ok: false, error: { code: 'MULTIPLE' } });
    expect(parseEvent('')).toMatchObject({ ok: false, error: { code: 'EMPTY' } });
    expect(parseEvent('re fer')).toMatchObject({ ok: false, error: { code: 'MALFORMED' } });
    expect(expandHeaderName('o')).toBe('Event');
    expect(expandHeaderName('R')).toBe('Refer-To');
    expect(expandHeaderName('b')).toBe('Referred-By');
    expect(expandHeaderName('X-Foo')).toBe('X-Foo');
  });

  it('parses and formats Subscription-State', () => {
    expect(parseSubscriptionState('active;expires=60')).toEqual({
      ok: true,
      value: { state: 'active', expires: 60, params: {} },
    });
    expect(parseSubscriptionState('Terminated;reason=NoResource')).toEqual({
      ok: true,
      value: { state: 'terminated', reason: 'noresource', params: {} },
    });
    expect(parseSubscriptionState('terminated;reason=probation;retry-after=30;x=y')).toEqual({
      ok: true,
      value: { state: 'terminated', reason: 'probation', retryAfter: 30, params: { x: 'y' } },
    });
    expect(parseSubscriptionState('pending')).toEqual({ ok: true, value: { state: 'pending', params: {} } });
    expect(formatSubscriptionState({ state: 'terminated', reason: 'noresource', params: {} })).toBe(
      'terminated;reason=noresource',
    );
    expect(
      formatSubscriptionState({ state: 'active', expires: 60, retryAfter: 5, params: { a: null } }),
    ).toBe('active;expires=60;retry-after=5;a');
    expect(parseSubscriptionState('active;expires=soon')).toMatchObject({
      ok: false,
      error: { code: 'BAD_PARAM' },
    });
    expect(parseSubscriptionState('active;reason')).toMatchObject({
      ok: false,
      error: { code: 'BAD_PARAM' },
    });
  });

  it('parses Refer-Sub (RFC 4488)', () => {
    expect(parseReferSub('false')).toEqual({ ok: true, value: { value: false, params: {} } });
    expect(parseReferSub('TRUE;x=1')).toEqual({ ok: true, value: { value: true, params: { x: '1' } } });
    expect(parseReferSub('maybe')).toMatchObject({ ok: false, error: { code: 'MALFORMED' } });
  });

  it('parses Referred-By (RFC 3892)', () => {
    expect(
      parseReferredBy('<sip:referrer@referrer.example>;cid="20398823.2UWQFN309shb3@referrer.example"'),
    ).toMatchObject({
      ok: true,
      value: { uri: { user: 'referrer' }, cid: '20398823.2UWQFN309shb3@referrer.example' },
    });
    expect(parseReferredBy('"Agent" <sip:agent@pbx.example.com>')).toMatchObject({
      ok: true,
      value: { displayName: 'Agent' },
    });
    expect(parseReferredBy('<sip:a@x>, <sip:b@x>')).toMatchObject({ ok: false, error: { code: 'MULTIPLE' } });
    expect(parseReferredBy('<sip:a@x>;cid')).toMatchObject({ ok: false, error: { code: 'BAD_PARAM' } });
    expect(parseReferredBy('nonsense')).toMatchObject({ ok: false, error: { code: 'MALFORMED' } });
  });
});
