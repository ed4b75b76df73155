import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseNameAddr } from './name-addr.js';
import { parseMessage } from './parse-message.js';
import type { SipParseErrorCode } from './parse-error.js';
import { parseCSeq } from './scalar-headers.js';
import { serializeMessage } from './serialize-message.js';
import { parseVia } from './via.js';

const dir = fileURLToPath(new URL('../../fixtures/rfc4475/', import.meta.url));
const load = (kind: string, name: string): Buffer => readFileSync(`${dir}${kind}/${name}`);
const valid = readdirSync(`${dir}valid`).filter((f) => f.endsWith('.sip'));
const invalid = readdirSync(`${dir}invalid`).filter((f) => f.endsWith('.sip'));

/** RFC 4475 section 3.1.2: what each invalid message must be refused with. */
const EXPECTED: Record<string, SipParseErrorCode> = {
  '3.1.2.1-badinv01.sip': 'BAD_HEADER_VALUE', // empty Via / Contact parameters
  '3.1.2.2-clerr.sip': 'BODY_TOO_SHORT', // Content-Length 9999
  '3.1.2.3-ncl.sip': 'BAD_CONTENT_LENGTH', // -999
  '3.1.2.4-scalar02.sip': 'BAD_HEADER_VALUE', // CSeq, Max-Forwards, Expires overflow
  '3.1.2.5-scalarlg.sip': 'BAD_HEADER_VALUE', // CSeq, Retry-After, Warning code
  '3.1.2.6-quotbal.sip': 'BAD_HEADER_VALUE', // unterminated quoted display name
  '3.1.2.7-ltgtruri.sip': 'BAD_REQUEST_URI', // <> around the Request-URI
  '3.1.2.8-lwsruri.sip': 'BAD_REQUEST_URI', // LWS inside the Request-URI
  '3.1.2.9-lwsstart.sip': 'BAD_START_LINE', // several SPs between elements
  '3.1.2.10-trws.sip': 'BAD_START_LINE', // SPs after SIP/2.0
  '3.1.2.11-escruri.sip': 'BAD_REQUEST_URI', // headers in a Request-URI
  '3.1.2.12-baddate.sip': 'BAD_HEADER_VALUE', // Date not in GMT
  '3.1.2.13-regbadct.sip': 'BAD_HEADER_VALUE', // URI with ? outside <>
  '3.1.2.14-badaspec.sip': 'BAD_HEADER_VALUE', // spaces inside <>
  '3.1.2.15-baddn.sip': 'BAD_HEADER_VALUE', // comma in an unquoted display name
  '3.1.2.16-badvers.sip': 'UNSUPPORTED_VERSION', // SIP/7.0 -> 505
  '3.1.2.17-mismatch01.sip': 'CSEQ_METHOD_MISMATCH',
  '3.1.2.18-mismatch02.sip': 'CSEQ_METHOD_MISMATCH',
  '3.1.2.19-bigcode.sip': 'BAD_STATUS_CODE', // 4294967301
};

describe('RFC 4475 section 3.1.1: valid messages', () => {
  it('has all 13 fixtures', () => expect(valid).toHaveLength(13));

  it.each(valid)('%s parses strictly and round-trips byte for byte', (name) => {
    const bytes = load('valid', name);
    const r = parseMessage(bytes, { strict: true });
    if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
    const out = serializeMessage(r.value);
    if (name.includes('dblreq')) {
      // 3.1.1.8: only the first message of the datagram counts; the rest is ignored.
      expect(out.equals(bytes.subarray(0, out.length))).toBe(true);
      expect(bytes.subarray(out.length).toString('latin1').startsWith('INVITE sip:joe@example.com')).toBe(
        true,
      );
    } else {
      expect(out.equals(bytes)).toBe(true);
    }
    for (const via of r.value.headers.getList('via')) expect(parseVia(via).ok).toBe(true);
  });

  it('3.1.1.1 wsinv: folding, odd whitespace and compact forms yield the right values', () => {
    const r = parseMessage(load('valid', '3.1.1.1-wsinv.sip'), { strict: true });
    if (!r.ok || r.value.kind !== 'request') throw new Error('parse failed');
    const h = r.value.headers;
    expect(r.value.uri).toBe('sip:vivekg@chair-dnrc.example.com;unknownparam');
    expect(parseNameAddr(h.get('to')!)).toMatchObject({ ok: true, value: { tag: '1918181833n' } });
    expect(parseNameAddr(h.get('from')!)).toMatchObject({
      ok: true,
      value: { displayName: 'J Rosenberg \\"', uri: 'sip:jdrosen@example.com', tag: '98asjd8' },
    });
    expect(h.get('max-forwards')).toBe('0068');
    expect(parseCSeq(h.get('cseq')!)).toEqual({ ok: true, value: { seq: 9, method: 'INVITE' } });
    const vias = h.getList('via').map((v) => parseVia(v));
    expect(vias.map((v) => v.ok && [v.value.transport, v.value.host, v.value.branch])).toEqual([
      ['UDP', '192.0.2.2', '390skdjuw'],
      ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', 'z9hG4bK30239'],
    ]);
    expect(h.get('subject')).toBe('');
    expect(h.get('NewFangledHeader')).toBe('newfangled value continued newfangled value');
    expect(h.get('UnknownHeaderWithUnusualValue')).toBe(';;,,;;,;');
    expect(parseNameAddr(h.get('contact')!)).toMatchObject({
      ok: true,
      value: {
        displayName: 'Quoted string ""',
        params: [
          ['newparam', 'newvalue'],
          ['secondparam', undefined],
          ['q', '0.33'],
        ],
      },
    });
    expect(r.value.body.length).toBe(150);
  });

  it('3.1.1.2 intmeth: unusual tokens and non-ASCII bytes survive', () => {
    const r = parseMessage(load('valid', '3.1.1.2-intmeth.sip'), { strict: true });
    if (!r.ok || r.value.kind !== 'request') throw new Error('parse failed');
    expect(r.value.method).toBe("!interesting-Method0123456789_*+`.%indeed'~");
    expect(r.value.headers.get("extensionheader-!.%*+_`'~")).toBe('\uFEFF大停電');
  });

  it('3.1.1.5 esc02: an escaped header name is another header', () => {
    const r = parseMessage(load('valid', '3.1.1.5-esc02.sip'), { strict: true });
    if (!r.ok) throw new Error('parse failed');
    expect(r.value.headers.getList('contact')).toHaveLength(2);
    expect(r.value.headers.get('C%6Fntact')).toBe('<sip:alias2@host2.example.com>');
  });

  it('3.1.1.7 longreq: 34 Via values under many spellings', () => {
    const r = parseMessage(load('valid', '3.1.1.7-longreq.sip'), { strict: true });
    if (!r.ok) throw new Error('parse failed');
    expect(r.value.headers.getList('VIA')).toHaveLength(34);
  });

  it('3.1.1.11 mpart01: binary body kept exactly; 3.1.1.12/13 reason phrases', () => {
    const m = parseMessage(load('valid', '3.1.1.11-mpart01.sip'));
    expect(m.ok && m.value.body.length).toBe(553);
    const u = parseMessage(load('valid', '3.1.1.12-unreason.sip'));
    expect(u.ok && u.value.kind === 'response' && u.value.reason).toBe(
      '= 2**3 * 5**2 но сто девяносто девять - простое',
    );
    const n = parseMessage(load('valid', '3.1.1.13-noreason.sip'));
    expect(n.ok && n.value.kind === 'response' && [n.value.status, n.value.reason]).toEqual([100, '']);
  });
});

describe('RFC 4475 section 3.1.2: invalid messages', () => {
  it('has all 19 fixtures, each with an expectation', () => {
    expect(invalid).toHaveLength(19);
    expect(invalid.filter((f) => EXPECTED[f] === undefined)).toEqual([]);
  });

  it.each(invalid)('%s is refused with a typed error', (name) => {
    const r = parseMessage(load('invalid', name), { strict: true });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe(EXPECTED[name]);
    expect([0, 400, 505]).toContain(r.error.status);
  });
});

describe('RFC 4475 section 3.3: messages a parser must read the right way', () => {
  const parse = (name: string) => {
    const r = parseMessage(load('semantics', name), { strict: true });
    if (!r.ok || r.value.kind !== 'request') throw new Error(`${name} did not parse`);
    return r.value;
  };

  it('3.3.6 invut: a body of an unknown type is kept whole, with its type', () => {
    const m = parse('3.3.6-invut.sip');
    expect(m.headers.get('content-type')).toBe('application/unknownformat');
    expect(m.body.toString('latin1')).toBe('<audio>\r\n <pcmu port="443"/>\r\n</audio>\r\n');
  });

  it('3.3.12 cparam01: without <>, ;unknownparam is a Contact parameter, not part of the URI', () => {
    const contact = parseNameAddr(parse('3.3.12-cparam01.sip').headers.get('contact')!);
    expect(contact).toMatchObject({
      ok: true,
      value: { uri: 'sip:+19725552222@gw1.example.net', params: [['unknownparam', undefined]] },
    });
  });

  it('3.3.13 cparam02: inside <>, ;unknownparam belongs to the URI', () => {
    const contact = parseNameAddr(parse('3.3.13-cparam02.sip').headers.get('contact')!);
    expect(contact).toMatchObject({
      ok: true,
      value: { uri: 'sip:+19725552222@gw1.example.net;unknownparam', params: [] },
    });
  });

  it('3.3.14 regescrt: compact M and L; the escaped Route stays in the Contact URI', () => {
    const m = parse('3.3.14-regescrt.sip');
    expect(m.headers.get('content-length')).toBe('0');
    expect(parseNameAddr(m.headers.get('contact')!)).toMatchObject({
      ok: true,
      value: { uri: 'sip:user@example.com?Route=%3Csip:sip.example.com%3E', params: [] },
    });
  });

  it('3.3.15 sdp01: an Accept that excludes SDP is read as given', () => {
    const m = parse('3.3.15-sdp01.sip');
    expect(m.headers.get('accept')).toBe('text/nobodyKnowsThis');
    expect(m.body.length).toBe(150);
  });
});
