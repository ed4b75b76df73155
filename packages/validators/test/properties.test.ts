import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  REFER_TO_ERRORS,
  classifyAddress,
  collectReferTo,
  countryOfNumber,
  formatEvent,
  formatNameAddr,
  formatSipUri,
  formatSubscriptionState,
  isE164,
  isPrivateAddress,
  parseEvent,
  parseNameAddr,
  parseReferredBy,
  parseReferSub,
  parseSipfrag,
  parseSipUri,
  parseSubscriptionState,
  plivoProfile,
  splitHeaderList,
  toTrunkReferVerdict,
  validateReferTo,
  type NameAddr,
  type SipUri,
} from '../src/index.js';

const lower = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

/** Text mixing the characters that SIP treats specially with arbitrary Unicode. */
const tricky = (options: { minLength?: number; maxLength?: number } = {}) =>
  fc.string({
    unit: fc.oneof(
      fc.constantFrom(...';?@:%&=+$,/[]<>" \\\'#*().-_~!'.split('')),
      fc.constantFrom('a', 'Z', '0', '9'),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
    ),
    maxLength: options.maxLength ?? 12,
    minLength: options.minLength ?? 0,
  });

const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?$/);
const topLabel = fc.stringMatching(/^[a-z](?:[a-z0-9-]{0,10}[a-z0-9])?$/);
const domain = fc
  .tuple(fc.array(label, { maxLength: 4 }), topLabel, fc.boolean())
  .map(([labels, top, dot]) => [...labels, top].join('.') + (dot ? '.' : ''));

const host = fc.oneof(
  domain.map((h) => ({ host: h, hostType: 'domain' as const })),
  fc.ipV4().map((h) => ({ host: h, hostType: 'ipv4' as const })),
  fc.ipV6().map((h) => ({ host: lower(h), hostType: 'ipv6' as const })),
);

const paramName = tricky({ minLength: 1 }).map(lower);
const params = fc.dictionary(paramName, fc.option(tricky({ minLength: 1 }), { nil: null }), { maxKeys: 4 });
const headers = fc
  .uniqueArray(fc.tuple(tricky({ minLength: 1 }), tricky()), {
    maxLength: 3,
    selector: ([name]) => lower(name),
  })
  .map((pairs) => Object.fromEntries(pairs));

const sipUri: fc.Arbitrary<SipUri> = fc
  .record({
    scheme: fc.constantFrom('sip' as const, 'sips' as const),
    userinfo: fc.option(fc.tuple(tricky({ minLength: 1 }), fc.option(tricky(), { nil: undefined })), {
      nil: undefined,
    }),
    host,
    port: fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined }),
    params,
    headers,
  })
  .map(({ scheme, userinfo, host: h, port, params: p, headers: hs }) => ({
    scheme,
    ...(userinfo
      ? { user: userinfo[0], ...(userinfo[1] !== undefined ? { password: userinfo[1] } : {}) }
      : {}),
    ...h,
    ...(port !== undefined ? { port } : {}),
    params: p,
    headers: hs,
  }));

const telUri: fc.Arbitrary<SipUri> = fc
  .record({
    digits: fc.stringMatching(/^\+[0-9][0-9().-]{0,14}$/),
    params: fc.dictionary(
      fc.stringMatching(/^[a-z0-9-]{1,8}$/),
      fc.option(tricky({ minLength: 1 }), { nil: null }),
      {
        maxKeys: 3,
      },
    ),
  })
  .map(({ digits, params: p }) => ({
    scheme: 'tel',
    user: digits,
    host: '',
    hostType: 'domain',
    params: p,
    headers: {},
  }));

const anyString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  tricky({ maxLength: 40 }),
  // Valid-looking values with random insertions reach the deeper branches.
  fc
    .tuple(
      fc.constantFrom(
        '<sip:+14155551234@x.zt.plivo.com>',
        '"A" <sips:+442079460000@x.zt.plivo.com:5061;transport=tls?Replaces=a%40b>;tag=1',
        'sip:alice@[::ffff:10.0.0.1]',
        'tel:+1-201-555-0123;ext=1',
        'SIP/2.0 180 Ringing\r\nX: y\r\n',
        'terminated;reason=noresource;retry-after=3',
        'refer;id=2',
      ),
      fc.nat(80),
      tricky({ maxLength: 4 }),
    )
    .map(([base, at, insert]) => base.slice(0, at) + insert + base.slice(at)),
);

const profile = plivoProfile({
  terminationDomain: 'XXXXXXXXXXXX.zt.plivo.com',
  geoPermissions: ['US', 'GB'],
});

describe('properties', () => {
  it('parseSipUri(formatSipUri(uri)) gives back every generated sip:/sips: URI', () => {
    fc.assert(
      fc.property(sipUri, (uri) => {
        expect(parseSipUri(formatSipUri(uri))).toEqual({ ok: true, value: uri });
      }),
      { numRuns: 2000 },
    );
  });

  it('parseSipUri(formatSipUri(uri)) gives back every generated tel: URI', () => {
    fc.assert(
      fc.property(telUri, (uri) => {
        expect(parseSipUri(formatSipUri(uri))).toEqual({ ok: true, value: uri });
      }),
    );
  });

  it('formatNameAddr and parseNameAddr round-trip', () => {
    const nameAddr: fc.Arbitrary<NameAddr> = fc
      .record({
        displayName: fc.option(
          fc.string({ unit: 'grapheme' }).filter((s) => !/[\r\n]/.test(s)),
          { nil: undefined },
        ),
        uri: sipUri,
        params: fc.dictionary(
          fc.stringMatching(/^[a-z0-9.!%*_+`'~-]{1,8}$/),
          fc.option(fc.stringMatching(/^[A-Za-z0-9.!%*_+`'~:[\]-]{1,8}$/), { nil: null }),
          { maxKeys: 3 },
        ),
      })
      .map(({ displayName, uri, params: p }) => ({
        ...(displayName !== undefined ? { displayName } : {}),
        uri,
        params: p,
      }));
    fc.assert(
      fc.property(nameAddr, (value) => {
        expect(parseNameAddr(formatNameAddr(value))).toEqual({ ok: true, value });
      }),
      { numRuns: 1000 },
    );
  });

  it('Event and Subscription-State round-trip', () => {
    const token = fc.stringMatching(/^[a-z0-9.!%*_+`'~-]{1,10}$/);
    fc.assert(
      fc.property(
        token,
        fc.option(token, { nil: undefined }),
        fc.option(fc.nat(), { nil: undefined }),
        fc.option(fc.nat(), { nil: undefined }),
        (pkg, id, expires, retryAfter) => {
          const event = { package: pkg, ...(id !== undefined ? { id } : {}), params: {} };
          expect(parseEvent(formatEvent(event))).toEqual({ ok: true, value: event });
          const state = {
            state: pkg,
            ...(id !== undefined ? { reason: id } : {}),
            ...(expires !== undefined ? { expires } : {}),
            ...(retryAfter !== undefined ? { retryAfter } : {}),
            params: {},
          };
          const reparsed = parseSubscriptionState(formatSubscriptionState(state));
          expect(reparsed).toEqual({ ok: true, value: state });
        },
      ),
    );
  });

  it('no input string makes any validator throw', () => {
    fc.assert(
      fc.property(anyString, fc.array(anyString, { maxLength: 3 }), (text, list) => {
        parseSipUri(text);
        parseNameAddr(text);
        splitHeaderList(text);
        parseSipfrag(text);
        parseSipfrag(new TextEncoder().encode(text));
        parseEvent(text);
        parseSubscriptionState(text);
        parseReferSub(text);
        parseReferredBy(text);
        isE164(text);
        countryOfNumber(text);
        classifyAddress(text);
        isPrivateAddress(text);
        collectReferTo([['r', text]]);
        for (const input of [text, list]) {
          const result = validateReferTo(input, profile);
          toTrunkReferVerdict(result);
          if (result.ok) {
            // an accepted target stays accepted when sent again as text
            expect(validateReferTo(`<${result.value.uriText}>`, profile).ok).toBe(true);
          } else {
            expect(result.error.status).toBe(REFER_TO_ERRORS[result.error.code].status);
            expect(result.error.message.length).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('no non-string input makes a parser throw', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const v = value as string;
        if (typeof value !== 'string') expect(parseSipUri(v).ok).toBe(false);
        parseNameAddr(v);
        parseEvent(v);
        parseSubscriptionState(v);
        parseReferSub(v);
        parseReferredBy(v);
        parseSipfrag(v);
        isE164(v);
        countryOfNumber(v);
        classifyAddress(v);
        validateReferTo(v, profile);
        collectReferTo(value as Record<string, string>);
      }),
    );
  });
});
