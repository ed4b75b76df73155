import { describe, expect, it } from 'vitest';
import {
  classifyAddress,
  countryOfNumber,
  hasE164Syntax,
  isE164,
  isPrivateAddress,
  parseReferredBy,
  plivoProfile,
  validateReferTo,
} from '../src/index.js';

describe('E.164', () => {
  it.each([
    ['+14155551234', true, 'US'],
    ['+14165550199', true, 'CA'],
    ['+18765551234', true, 'JM'],
    ['+442079460000', true, 'GB'],
    ['+4915112345678', true, 'DE'],
    ['+80012345678', true, '001'],
    ['+14150000000', false, undefined],
    ['+10005551234', false, undefined],
    ['+1415555123', false, undefined],
    ['4155551234', false, undefined],
    ['+1 415 555 1234', false, undefined],
    ['+01415555123', false, undefined],
    ['+1234567', false, undefined],
    ['+1234567890123456', false, undefined],
    ['', false, undefined],
  ])('%s: valid %s, country %s', (number, valid, country) => {
    expect(isE164(number)).toBe(valid);
    expect(countryOfNumber(number)).toBe(country);
  });

  it('separates the form from the numbering plan', () => {
    expect(hasE164Syntax('+14150000000')).toBe(true);
    expect(isE164('+14150000000')).toBe(false);
    expect(hasE164Syntax(12 as unknown as string)).toBe(false);
  });

  it('answers the same for a number asked again, after thousands of other numbers', () => {
    const first = ['+14155551234', '+14165550199', '+14150000000', '+442079460000'].map(countryOfNumber);
    // More distinct numbers than the remembered verdicts hold, valid and not.
    for (let i = 0; i < 3000; i++) {
      const number = `+1415555${String(i).padStart(4, '0')}`;
      expect(countryOfNumber(number)).toBe('US');
      expect(countryOfNumber(`+1415000${String(i).padStart(4, '0')}`)).toBeUndefined();
    }
    expect(['+14155551234', '+14165550199', '+14150000000', '+442079460000'].map(countryOfNumber)).toEqual(
      first,
    );
    expect(first).toEqual(['US', 'CA', undefined, 'GB']);
    expect(isE164('+14150000000')).toBe(false);
    expect(isE164('+14155551234')).toBe(true);
  });
});

describe('private and reserved addresses', () => {
  it.each([
    ['10.0.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['169.254.10.10', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.254', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.10', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'],
    ['ff02::1', 'multicast'],
    ['[fe80::1]', 'linkLocal'],
    ['64:ff9b::a00:1', 'rfc6052'],
    ['2002:a00:1::1', '6to4'],
    ['2001:0:4136:e378::1', 'teredo'],
  ])('%s is %s', (address, range) => {
    expect(classifyAddress(address)).toMatchObject({ range, private: true });
    expect(isPrivateAddress(address)).toBe(true);
  });

  it('classifies IPv4-mapped IPv6 by the IPv4 address it carries', () => {
    expect(classifyAddress('::ffff:10.1.2.3')).toEqual({
      kind: 'ipv4',
      range: 'private',
      private: true,
      mapped: true,
    });
    expect(classifyAddress('::ffff:7f00:1')).toMatchObject({ range: 'loopback', mapped: true });
    expect(classifyAddress('::ffff:8.8.8.8')).toEqual({
      kind: 'ipv4',
      range: 'unicast',
      private: false,
      mapped: true,
    });
  });

  it('public addresses and non-addresses are not private', () => {
    for (const text of [
      '8.8.8.8',
      '100.128.0.1',
      '2606:4700::1111',
      'example.com',
      '010.0.0.1',
      '0x7f.0.0.1',
      'fe80::1%eth0',
      '',
    ]) {
      expect(isPrivateAddress(text)).toBe(false);
    }
    expect(classifyAddress('8.8.8.8')).toEqual({
      kind: 'ipv4',
      range: 'unicast',
      private: false,
      mapped: false,
    });
    expect(classifyAddress('010.0.0.1')).toBeUndefined();
  });
});

describe('messages for numbers that are not E.164', () => {
  const profile = plivoProfile({
    terminationDomain: 'x.zt.plivo.com',
    homeCountry: 'GB',
    geoPermissions: ['GB'],
  });
  it.each([
    ['442079460000', 'start with "+" and the country code (+442079460000'],
    ['123', 'write "+", the country code and the number'],
    ['alice', 'write "+", the country code and the number'],
    ['+44(20)79460000', 'remove the separators (write +442079460000)'],
  ])('%s -> %s', (user, hint) => {
    const r = validateReferTo(`<sip:${user}@x.zt.plivo.com>`, profile);
    expect(r).toMatchObject({ ok: false, error: { code: 'NOT_E164', status: 400 } });
    if (!r.ok) expect(r.error.message).toContain(hint);
  });
});

describe('Referred-By cid', () => {
  it('takes a token cid as is and refuses a broken quoted one', () => {
    expect(parseReferredBy('<sip:a@x>;cid=abc123')).toMatchObject({ ok: true, value: { cid: 'abc123' } });
    expect(parseReferredBy('<sip:a@x>;cid="a\\"b"')).toMatchObject({ ok: true, value: { cid: 'a"b' } });
  });
});
