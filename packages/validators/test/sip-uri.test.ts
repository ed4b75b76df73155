import { describe, expect, it } from 'vitest';
import { formatSipUri, parseSipUri, type SipUri } from '../src/index.js';

function parsed(text: string): SipUri {
  const r = parseSipUri(text);
  if (!r.ok) throw new Error(`expected ${text} to parse: ${r.error.message}`);
  return r.value;
}

function failure(text: string): string {
  const r = parseSipUri(text);
  if (r.ok) throw new Error(`expected ${text} to fail`);
  return r.error.code;
}

describe('parseSipUri', () => {
  it('parses the Plivo Refer-To target', () => {
    expect(parsed('sip:+14155551234@XXXXXXXXXXXX.zt.plivo.com')).toEqual({
      scheme: 'sip',
      user: '+14155551234',
      host: 'xxxxxxxxxxxx.zt.plivo.com',
      hostType: 'domain',
      params: {},
      headers: {},
    });
  });

  // RFC 3261 section 19.1.3 examples
  it.each([
    ['sip:alice@atlanta.com', { user: 'alice', host: 'atlanta.com' }],
    [
      'sip:alice:secretword@atlanta.com;transport=tcp',
      { password: 'secretword', params: { transport: 'tcp' } },
    ],
    [
      'sips:alice@atlanta.com?subject=project%20x&priority=urgent',
      { scheme: 'sips', headers: { subject: 'project x', priority: 'urgent' } },
    ],
    [
      'sip:+1-212-555-1212:1234@gateway.com;user=phone',
      { user: '+1-212-555-1212', password: '1234', params: { user: 'phone' } },
    ],
    ['sips:1212@gateway.com', { scheme: 'sips', user: '1212' }],
    ['sip:alice@192.0.2.4', { host: '192.0.2.4', hostType: 'ipv4' }],
    [
      'sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com',
      { params: { method: 'REGISTER' }, headers: { to: 'alice@atlanta.com' } },
    ],
    ['sip:alice;day=tuesday@atlanta.com', { user: 'alice;day=tuesday', host: 'atlanta.com' }],
  ] as const)('RFC 3261 example %s', (text, expected) => {
    expect(parsed(text)).toMatchObject(expected);
  });

  it('parses IPv6 references, ports and flag parameters', () => {
    expect(parsed('sip:[2001:DB8::10]:5070;lr;Transport=UDP')).toEqual({
      scheme: 'sip',
      host: '2001:db8::10',
      hostType: 'ipv6',
      port: 5070,
      params: { lr: null, transport: 'UDP' },
      headers: {},
    });
  });

  it('decodes escapes in every component and keeps embedded headers', () => {
    const uri = parsed(
      'sip:%61lice@example.com;x%3Dy=a%20b?Replaces=abc%40host%3Bto-tag%3D1&User-to-User=56a390f3%3Bencoding%3Dhex',
    );
    expect(uri.user).toBe('alice');
    expect(uri.params).toEqual({ 'x=y': 'a b' });
    expect(uri.headers).toEqual({ Replaces: 'abc@host;to-tag=1', 'User-to-User': '56a390f3;encoding=hex' });
  });

  it('parses tel: URIs (RFC 3966)', () => {
    expect(parsed('tel:+1-201-555-0123;ext=42')).toEqual({
      scheme: 'tel',
      user: '+1-201-555-0123',
      host: '',
      hostType: 'domain',
      params: { ext: '42' },
      headers: {},
    });
    expect(parsed('tel:7042;phone-context=example.com').user).toBe('7042');
    expect(failure('tel:7042')).toBe('BAD_NUMBER');
    expect(failure('tel:+1?x=y')).toBe('BAD_NUMBER');
  });

  it.each([
    ['', 'EMPTY'],
    ['alice@example.com', 'UNSUPPORTED_SCHEME'],
    ['http://example.com', 'UNSUPPORTED_SCHEME'],
    ['sip:@example.com', 'BAD_USERINFO'],
    ['sip:al ice@example.com', 'BAD_USERINFO'],
    ['sip:alice@', 'BAD_HOST'],
    ['sip:alice@exa mple.com', 'BAD_HOST'],
    ['sip:alice@256.1.1.1', 'BAD_HOST'],
    ['sip:alice@010.0.0.1', 'BAD_HOST'],
    ['sip:alice@1.2.3', 'BAD_HOST'],
    ['sip:alice@-bad.com', 'BAD_HOST'],
    ['sip:alice@[::1', 'BAD_HOST'],
    ['sip:alice@[1::2::3]', 'BAD_HOST'],
    ['sip:alice@[fe80::1%25eth0]', 'BAD_HOST'],
    ['sip:alice@example.com:65536', 'BAD_PORT'],
    ['sip:alice@example.com:', 'BAD_PORT'],
    ['sip:alice@example.com;=x', 'BAD_PARAM'],
    ['sip:alice@example.com;a=', 'BAD_PARAM'],
    ['sip:alice@example.com;lr;LR', 'DUPLICATE_PARAM'],
    ['sip:alice@example.com?novalue', 'BAD_HEADER'],
    ['sip:alice@example.com?a=1&A=2', 'BAD_HEADER'],
    ['sip:%zzalice@example.com', 'BAD_USERINFO'],
    ['sip:%C3%28@example.com', 'BAD_USERINFO'],
  ])('refuses %j with %s', (text, code) => {
    expect(failure(text)).toBe(code);
  });

  it('returns an error for non-string input instead of throwing', () => {
    expect(parseSipUri(undefined as unknown as string)).toMatchObject({
      ok: false,
      error: { code: 'NOT_A_STRING' },
    });
  });

  it('keeps keys like __proto__ as data', () => {
    const uri = parsed('sip:a@example.com;__proto__=x');
    expect(Object.keys(uri.params)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(uri.params)).toBe(Object.prototype);
  });
});

describe('RFC 4475 torture URIs', () => {
  it('parses the wide range of valid characters (section 3.1.1.1 "esc01"-style userinfo)', () => {
    const uri = parsed(
      "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
    );
    expect(uri.user).toBe("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    expect(uri.password).toBe("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    expect(uri.host).toBe('example.com');
    expect(parseSipUri(formatSipUri(uri))).toEqual({ ok: true, value: uri });
  });

  it('parses an escaped "@" and ";" inside the user part (3.1.1.10)', () => {
    expect(parsed('sip:user;par=u%40example.net@example.com')).toMatchObject({
      user: 'user;par=u@example.net',
      host: 'example.com',
      params: {},
    });
  });

  it('parses escaped characters in user and an escaped header value', () => {
    expect(parsed('sip:%22Joe%22%20Doe@example.com?Route=%3Csip:example.com%3E').user).toBe('"Joe" Doe');
    expect(parsed('sip:sip%3Auser%40example.com@example.org').user).toBe('sip:user@example.com');
    expect(parsed('sip:example.com?Route=%3Csip:example.com%3E').headers).toEqual({
      Route: '<sip:example.com>',
    });
  });

  it.each([
    ['sip:2001:db8::10', 'BAD_HOST'], // unbracketed IPv6 (3.1.2.14)
    ['sip:[2001:db8::10]:5070:5070', 'BAD_PORT'],
    ['sip:user@[2001:db8::10', 'BAD_HOST'],
    ['sip:user@example.com>', 'BAD_HOST'],
    ['sip:<user@example.com>', 'BAD_USERINFO'],
    ['sip:user@example.com;lr;lr', 'DUPLICATE_PARAM'],
  ])('refuses %s (%s)', (text, code) => {
    expect(failure(text)).toBe(code);
  });

  it('reads the IPv6 references of 3.1.1.8 and 3.1.1.9', () => {
    expect(parsed('sip:[2001:db8::10]:5070')).toMatchObject({ host: '2001:db8::10', port: 5070 });
    expect(parsed('sip:[2001:db8::9:1]')).toMatchObject({ host: '2001:db8::9:1', hostType: 'ipv6' });
    expect(parsed('sip:[::ffff:192.0.2.1]')).toMatchObject({ host: '::ffff:192.0.2.1', hostType: 'ipv6' });
  });
});

describe('formatSipUri', () => {
  it('escapes what a component does not allow and round-trips', () => {
    const uri: SipUri = {
      scheme: 'sip',
      user: 'a@b c',
      password: 'p:w',
      host: '::1',
      hostType: 'ipv6',
      port: 5060,
      params: { transport: 'tcp', lr: null },
      headers: { Subject: 'hi & bye' },
    };
    const text = formatSipUri(uri);
    expect(text).toBe('sip:a%40b%20c:p%3Aw@[::1]:5060;transport=tcp;lr?Subject=hi%20%26%20bye');
    expect(parseSipUri(text)).toEqual({ ok: true, value: uri });
  });

  it('formats tel: URIs', () => {
    expect(formatSipUri(parsed('tel:+1-201-555-0123;ext=42'))).toBe('tel:+1-201-555-0123;ext=42');
  });
});
