import { describe, expect, it } from 'vitest';
import { collectReferTo, plivoProfile, toTrunkReferVerdict, validateReferTo } from '../src/index.js';

const DOMAIN = 'XXXXXXXXXXXX.zt.plivo.com';
const profile = plivoProfile({ terminationDomain: DOMAIN });

function refusal(value: string | readonly string[] | undefined, p = profile) {
  const r = validateReferTo(value, p);
  if (r.ok) throw new Error(`expected ${String(value)} to be refused`);
  return r.error;
}

describe('validateReferTo with plivoProfile', () => {
  it('accepts the documented form and returns number, country and the URI to call', () => {
    const r = validateReferTo(`<sip:+14155551234@${DOMAIN}>`, profile);
    expect(r).toMatchObject({
      ok: true,
      value: { number: '+14155551234', country: 'US', uriText: 'sip:+14155551234@xxxxxxxxxxxx.zt.plivo.com' },
    });
    expect(toTrunkReferVerdict(r)).toEqual({
      ok: true,
      target: 'sip:+14155551234@xxxxxxxxxxxx.zt.plivo.com',
    });
  });

  it('accepts the addr-spec form, a display name, header params and any *.zt.plivo.com host', () => {
    expect(validateReferTo(`sip:+14155551234@other.zt.plivo.com`, profile).ok).toBe(true);
    expect(validateReferTo(`"Agent" <sip:+14155551234@${DOMAIN};user=phone>;x=1`, profile).ok).toBe(true);
    expect(validateReferTo([`<sip:+14155551234@${DOMAIN.toLowerCase()}.>`], profile).ok).toBe(true);
  });

  // Plivo: 400 Bad Request — missing or malformed Refer-To, number not E.164.
  it.each([
    [undefined, 'MISSING'],
    ['', 'MISSING'],
    [[], 'MISSING'],
    [[`<sip:+14155551234@${DOMAIN}>`, `<sip:+14155550101@${DOMAIN}>`], 'MULTIPLE'],
    [`<sip:+14155551234@${DOMAIN}>, <sip:+14155550101@${DOMAIN}>`, 'MULTIPLE'],
    [`sip:+1415,5551234@${DOMAIN}`, 'MALFORMED'],
    [`sip:+14155551234@${DOMAIN}?Subject=x`, 'MALFORMED'],
    [`<sip:+14155551234@${DOMAIN}`, 'MALFORMED'],
    ['+14155551234', 'UNSUPPORTED_SCHEME'],
    ['<tel:+14155551234>', 'UNSUPPORTED_SCHEME'],
    [`<sip:+14155551234@${DOMAIN};method=BYE>`, 'UNSUPPORTED_METHOD'],
    [`<sip:4155551234@${DOMAIN}>`, 'NOT_E164'],
    [`<sip:+1-415-555-1234@${DOMAIN}>`, 'NOT_E164'],
    [`<sip:${DOMAIN}>`, 'NOT_E164'],
    [`<sip:+14150000000@${DOMAIN}>`, 'NOT_E164'],
    [`<sip:+1415555123456789@${DOMAIN}>`, 'NOT_E164'],
  ] as const)('400 for %j (%s)', (value, code) => {
    const error = refusal(value);
    expect(error).toMatchObject({ code, status: 400, reason: 'Bad Request' });
    expect(toTrunkReferVerdict({ ok: false, error })).toEqual({
      ok: false,
      status: 400,
      reason: 'Bad Request',
    });
  });

  // Plivo: 403 Forbidden — foreign domain, private IP, Geo Permissions.
  it.each([
    ['<sip:+14155551234@example.com>', 'FOREIGN_DOMAIN'],
    ['<sip:+14155551234@zt.plivo.com>', 'FOREIGN_DOMAIN'],
    ['<sip:+14155551234@xzt.plivo.com>', 'FOREIGN_DOMAIN'],
    ['<sip:+14155551234@x.zt.plivo.com.evil.com>', 'FOREIGN_DOMAIN'],
    ['<sip:+14155551234@8.8.8.8>', 'FOREIGN_DOMAIN'],
    ['<sip:+14155551234@10.0.0.5>', 'PRIVATE_ADDRESS'],
    ['<sip:+14155551234@172.16.0.1:5060>', 'PRIVATE_ADDRESS'],
    ['<sip:+14155551234@192.168.1.100>', 'PRIVATE_ADDRESS'],
    ['<sip:+14155551234@127.0.0.1>', 'PRIVATE_ADDRESS'],
    ['<sip:+14155551234@169.254.1.1>', 'PRIVATE_ADDRESS'],
    ['<sip:+14155551234@100.64.0.1>', 'PRIVATE_ADDRESS'],
    ['<sip:+14155551234@0.0.0.0>', 'PRIVATE_ADDRESS'],
    ['<sip:+14155551234@224.0.0.1>', 'PRIVATE_ADDRESS'],
    ['<sip:+14155551234@[::1]>', 'PRIVATE_ADDRESS'],
    ['<sip:+14155551234@[fd00::1]>', 'PRIVATE_ADDRESS'],
    ['<sip:+14155551234@[fe80::1]>', 'PRIVATE_ADDRESS'],
    ['<sip:+14155551234@[::ffff:192.168.0.1]>', 'PRIVATE_ADDRESS'],
    ['<sip:agent@192.168.1.10>', 'PRIVATE_ADDRESS'],
    [`<sip:+14155551234@${DOMAIN};maddr=10.1.1.1>`, 'PRIVATE_ADDRESS'],
    [`<sip:+442079460000@${DOMAIN}>`, 'GEO_NOT_PERMITTED'],
    [`<sip:+14165550199@${DOMAIN}>`, 'GEO_NOT_PERMITTED'],
    [`<sip:+80012345678@${DOMAIN}>`, 'GEO_NOT_PERMITTED'],
  ] as const)('403 for %s (%s)', (value, code) => {
    expect(refusal(value)).toMatchObject({ code, status: 403, reason: 'Forbidden' });
  });

  it('names the fix in each message', () => {
    expect(refusal(undefined).message).toContain(`Refer-To: <sip:+14155551234@xxxxxxxxxxxx.zt.plivo.com>`);
    expect(refusal(`<sip:4155551234@${DOMAIN}>`).message).toContain('+14155551234');
    expect(refusal('<sip:+14155551234@example.com>').message).toContain('.zt.plivo.com');
    expect(refusal('<sip:+14155551234@10.0.0.5>').message).toContain('RFC 1918');
    expect(refusal(`<sip:+442079460000@${DOMAIN}>`).message).toContain('enable GB under Geo Permissions');
    expect(refusal(`sip:+1415,5551234@${DOMAIN}`).message).toContain('angle brackets');
  });

  it('honours Geo Permissions and the home country', () => {
    const withGb = plivoProfile({ terminationDomain: DOMAIN, geoPermissions: ['us', 'gb'] });
    expect(validateReferTo(`<sip:+442079460000@${DOMAIN}>`, withGb)).toMatchObject({
      ok: true,
      value: { country: 'GB' },
    });
    const canadian = plivoProfile({ terminationDomain: DOMAIN, homeCountry: 'CA' });
    expect(validateReferTo(`<sip:+14165550199@${DOMAIN}>`, canadian).ok).toBe(true);
    expect(refusal(`<sip:+14155551234@${DOMAIN}>`, canadian).code).toBe('GEO_NOT_PERMITTED');
  });

  it('always accepts the trunk’s own termination domain, even outside .zt.plivo.com', () => {
    const lab = plivoProfile({ terminationDomain: 'Trunk.Lab.Example' });
    expect(validateReferTo('<sip:+14155551234@trunk.lab.example>', lab).ok).toBe(true);
    expect(validateReferTo('<sip:+14155551234@x.zt.plivo.com>', lab).ok).toBe(true);
    expect(refusal('<sip:+14155551234@other.lab.example>', lab).code).toBe('FOREIGN_DOMAIN');
  });

  it('plivoProfile normalises its options and tolerates untyped configuration', () => {
    expect(plivoProfile({ terminationDomain: ' ABC.zt.plivo.com. ', homeCountry: 'gb' })).toEqual({
      name: 'Plivo',
      domainSuffix: '.zt.plivo.com',
      terminationDomain: 'abc.zt.plivo.com',
      strict: false,
      homeCountry: 'GB',
      geoPermissions: ['GB'],
    });
    const untyped = { terminationDomain: 42, geoPermissions: ['us', 7, 'US'], strict: 'yes' } as unknown;
    expect(plivoProfile(untyped as Parameters<typeof plivoProfile>[0])).toMatchObject({
      terminationDomain: '',
      strict: false,
      homeCountry: 'US',
      geoPermissions: ['US'],
    });
  });

  it('strict mode accepts only the trunk’s own termination domain', () => {
    const strict = plivoProfile({ terminationDomain: DOMAIN, strict: true });
    expect(validateReferTo(`<sip:+14155551234@${DOMAIN}>`, strict).ok).toBe(true);
    const error = refusal('<sip:+14155551234@other.zt.plivo.com>', strict);
    expect(error).toMatchObject({ code: 'FOREIGN_DOMAIN', status: 403 });
    expect(error.message).toContain('strict');
  });
});

describe('collectReferTo', () => {
  it('finds Refer-To and its compact form r in pairs, maps and records', () => {
    const value = `<sip:+14155551234@${DOMAIN}>`;
    expect(
      collectReferTo([
        ['r', value],
        ['Via', 'x'],
      ]),
    ).toEqual([value]);
    expect(collectReferTo(new Map([['REFER-TO', value]]))).toEqual([value]);
    expect(collectReferTo({ 'refer-to': [value, value] })).toEqual([value, value]);
    expect(collectReferTo({ R: value, to: 'x' })).toEqual([value]);
    expect(
      validateReferTo(
        collectReferTo([
          ['r', value],
          ['Refer-To', value],
        ]),
        profile,
      ),
    ).toMatchObject({
      ok: false,
      error: { code: 'MULTIPLE' },
    });
  });
});
