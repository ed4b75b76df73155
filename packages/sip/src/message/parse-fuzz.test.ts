import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAuthParams, parseDigestAuthorization, parseDigestChallenge } from '../auth/index.js';
import { salvageRequest } from '../stack/salvage.js';
import { StreamFramer } from '../transport/stream-framer.js';
import { parseNameAddr } from './name-addr.js';
import { SipParseErrorCode } from './parse-error.js';
import { parseMessage } from './parse-message.js';
import { parseCSeq } from './scalar-headers.js';
import { serializeMessage } from './serialize-message.js';
import { validateMessage } from './validate-message.js';
import { parseVia } from './via.js';

// Property tests: whatever the bytes, the parser returns a value or a typed error. parseMessage
// converts a thrown exception into an "unparsable message (...)" error as a last resort; these
// properties fail if that fallback is ever reached, i.e. if any code path throws.

const dir = fileURLToPath(new URL('../../fixtures/rfc4475/', import.meta.url));
const corpus: Buffer[] = ['valid', 'invalid', 'semantics'].flatMap((kind) =>
  readdirSync(`${dir}${kind}`)
    .filter((f) => f.endsWith('.sip'))
    .map((f) => readFileSync(`${dir}${kind}/${f}`)),
);
const CODES = new Set<string>(Object.values(SipParseErrorCode));
const RUNS = process.env.CI ? 300 : 1000;

/** Parses in both modes and touches every lazily decoded part; fails on any throw or untyped error. */
function exercise(bytes: Buffer): void {
  for (const strict of [false, true]) {
    for (const stream of [false, true]) {
      const r = parseMessage(bytes, { strict, stream });
      if (!r.ok) {
        expect(CODES.has(r.error.code)).toBe(true);
        expect(r.error.message.startsWith('unparsable message (')).toBe(false);
        continue;
      }
      const m = r.value;
      for (const f of m.headers) {
        m.headers.get(f.name);
        m.headers.getList(f.name);
      }
      for (const v of m.headers.getList('via')) parseVia(v);
      for (const n of ['from', 'to', 'contact']) for (const v of m.headers.getList(n)) parseNameAddr(v, n);
      const cseq = m.headers.get('cseq');
      if (cseq !== undefined) parseCSeq(cseq);
      validateMessage(m);
      // What we serialize parses again, and serializing that is stable.
      const out = serializeMessage(m);
      const again = parseMessage(out, { stream });
      expect(again.ok).toBe(true);
      if (again.ok) expect(serializeMessage(again.value).equals(out)).toBe(true);
    }
  }
  salvageRequest(bytes);
}

/** A fixture with a few bytes replaced, inserted or removed. */
const mutated = fc
  .tuple(
    fc.constantFrom(...corpus),
    fc.array(
      fc.tuple(
        fc.nat(),
        fc.constantFrom('replace', 'insert', 'delete') as fc.Arbitrary<string>,
        fc.constantFrom(0x00, 0x0a, 0x0d, 0x20, 0x09, 0x3a, 0x3b, 0x2c, 0x22, 0x3c, 0x3e, 0x5c, 0xff, 0x41),
      ),
      { minLength: 1, maxLength: 8 },
    ),
  )
  .map(([base, edits]) => {
    const bytes = [...base];
    for (const [pos, op, byte] of edits) {
      const i = bytes.length === 0 ? 0 : pos % bytes.length;
      if (op === 'replace') bytes[i] = byte;
      else if (op === 'insert') bytes.splice(i, 0, byte);
      else bytes.splice(i, 1);
    }
    return Buffer.from(bytes);
  });

/** Header-ish text built from SIP's special characters. */
const sipish = fc
  .array(
    fc.constantFrom(
      'INVITE ',
      'SIP/2.0',
      ' sip:a@b',
      '\r\n',
      'Via: ',
      'SIP/2.0/UDP h',
      ';branch=z9hG4bK',
      'From: ',
      'To: ',
      '"q\\"',
      '<sip:x>',
      ';tag=',
      'CSeq: ',
      '1 INVITE',
      'Content-Length: ',
      '99999999999',
      '-1',
      '\r\n\r\n',
      ' ',
      '\t',
      ',',
      ':',
      'l: 0',
      'v: ',
      '\u0000',
      '\u00ff',
    ),
    { maxLength: 40 },
  )
  .map((parts) => Buffer.from(parts.join(''), 'latin1'));

describe('parser properties (fast-check)', () => {
  it('random bytes never make the parser throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (a) => exercise(Buffer.from(a))),
      { numRuns: RUNS },
    );
  });

  it('mutated RFC 4475 messages never make the parser throw', () => {
    fc.assert(fc.property(mutated, exercise), { numRuns: RUNS });
  });

  it('SIP-shaped garbage never makes the parser throw', () => {
    fc.assert(fc.property(sipish, exercise), { numRuns: RUNS });
  });

  it('auth header parsers never throw', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        parseAuthParams(s);
        parseAuthParams(`Digest ${s}`);
        parseDigestChallenge(`Digest ${s}`);
        parseDigestAuthorization(`Digest ${s}`);
      }),
      { numRuns: RUNS },
    );
  });

  it('the TCP framer yields the same messages however the stream is cut', () => {
    const valid = corpus.filter((b) => {
      const r = parseMessage(b, { stream: true });
      return r.ok && !b.toString('latin1').includes('clerr');
    });
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...valid), { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 30 }),
        (messages, cuts) => {
          const stream = Buffer.concat(messages.flatMap((m) => [Buffer.from('\r\n\r\n'), m]));
          const whole = new StreamFramer(65_535).push(stream);
          const framer = new StreamFramer(65_535);
          const pieces: Buffer[] = [];
          let at = 0;
          for (let i = 0; at < stream.length; i++) {
            const n = cuts[i % cuts.length]!;
            const r = framer.push(Buffer.from(stream.subarray(at, at + n)));
            pieces.push(...r.messages);
            at += n;
          }
          expect(Buffer.concat(pieces).equals(Buffer.concat(whole.messages))).toBe(true);
          expect(pieces.length).toBe(whole.messages.length);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
