import { describe, expect, it } from 'vitest';
import { parseSipfrag, plivoProfile, toTrunkReferVerdict, validateReferTo } from '../src/index.js';

/**
 * One case per row of Plivo's "Response codes" and "Troubleshooting" tables (SIP REFER, outbound
 * calls) that the validators own: the REFER answer (status, reason) and a message that names the
 * check Plivo's table tells the user to make.
 */
const DOMAIN = 'XXXXXXXXXXXX.zt.plivo.com';
const profile = plivoProfile({ terminationDomain: DOMAIN });

interface Row {
  /** Plivo's symptom and check, quoted from the table. */
  readonly row: string;
  readonly referTo: string | readonly string[] | undefined;
  readonly status: 400 | 403;
  readonly code: string;
  /** Words of Plivo's "Check" column the message must contain. */
  readonly names: readonly string[];
}

const rows: readonly Row[] = [
  {
    row: '400 Bad Request: Missing or malformed Refer-To header',
    referTo: undefined,
    status: 400,
    code: 'MISSING',
    names: ['Refer-To', `sip:+14155551234@${DOMAIN.toLowerCase()}`],
  },
  {
    row: '400 Bad Request: Missing or malformed Refer-To header (malformed)',
    referTo: '<sip:+14155551234@>',
    status: 400,
    code: 'MALFORMED',
    names: ['not a valid SIP address', `sip:+14155551234@${DOMAIN.toLowerCase()}`],
  },
  {
    row: '400 Bad Request: Verify the Refer-To header uses E.164 format: sip:+14155551234@trunk.zt.plivo.com',
    referTo: `<sip:4155551234@${DOMAIN}>`,
    status: 400,
    code: 'NOT_E164',
    names: ['E.164', '+14155551234'],
  },
  {
    row: '400 Bad Request: E.164 format (separators)',
    referTo: `<sip:+1 (415) 555-1234@${DOMAIN}>`,
    status: 400,
    code: 'MALFORMED',
    names: ['must be escaped'],
  },
  {
    row: '400 Bad Request: E.164 format (impossible number)',
    referTo: `<sip:+10005551234@${DOMAIN}>`,
    status: 400,
    code: 'NOT_E164',
    names: ['E.164', 'country code'],
  },
  {
    row: '403 Forbidden: Verify the Refer-To domain ends in .zt.plivo.com',
    referTo: '<sip:+14155551234@sip.example.com>',
    status: 403,
    code: 'FOREIGN_DOMAIN',
    names: ['.zt.plivo.com', 'not a Plivo SIP trunk domain'],
  },
  {
    row: '403 Forbidden: Ensure the target is not a private IP',
    referTo: '<sip:+14155551234@192.168.1.100:5060>',
    status: 403,
    code: 'PRIVATE_ADDRESS',
    names: ['private', 'RFC 1918'],
  },
  {
    row: '403 Forbidden: Ensure the target is not a private IP (IPv4-mapped IPv6)',
    referTo: '<sip:+14155551234@[::ffff:10.0.0.7]>',
    status: 403,
    code: 'PRIVATE_ADDRESS',
    names: ['private'],
  },
  {
    row: 'Transfer to international number returns 403: Enable that destination under Geo Permissions',
    referTo: `<sip:+442079460000@${DOMAIN}>`,
    status: 403,
    code: 'GEO_NOT_PERMITTED',
    names: ['GB', 'under Geo Permissions'],
  },
];

describe("Plivo's troubleshooting table", () => {
  it.each(rows)('$row', ({ referTo, status, code, names }) => {
    const result = validateReferTo(referTo, profile);
    expect(result).toMatchObject({ ok: false, error: { code, status } });
    if (result.ok) return;
    for (const name of names) expect(result.error.message).toContain(name);
    expect(toTrunkReferVerdict(result)).toEqual({
      ok: false,
      status,
      reason: status === 400 ? 'Bad Request' : 'Forbidden',
    });
  });

  it('202 Accepted: REFER accepted, transfer in progress (the documented Refer-To)', () => {
    expect(toTrunkReferVerdict(validateReferTo(`<sip:+14155551234@${DOMAIN}>`, profile))).toEqual({
      ok: true,
      target: `sip:+14155551234@${DOMAIN.toLowerCase()}`,
    });
  });

  it('Handle NOTIFY messages: every documented sipfrag status line parses', () => {
    const statuses = [
      ['SIP/2.0 100 Trying', 100],
      ['SIP/2.0 180 Ringing', 180],
      ['SIP/2.0 200 OK', 200],
      ['SIP/2.0 486 Busy Here', 486],
      ['SIP/2.0 503 Service Unavailable', 503],
    ] as const;
    for (const [line, code] of statuses) {
      expect(parseSipfrag(`${line}\r\n`)).toMatchObject({ ok: true, value: { code } });
    }
  });
});
