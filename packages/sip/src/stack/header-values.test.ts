import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatParams, parseNameAddr, parseParams, tagOf } from './header-values.js';

/** The plain definition: split on `;`, trim, skip empty parts, lower-case the name. */
function referenceParams(text: string): [string, string | undefined][] {
  const out: [string, string | undefined][] = [];
  for (const part of text.split(';')) {
    const p = part.trim();
    if (p === '') continue;
    const eq = p.indexOf('=');
    if (eq < 0) out.push([p.toLowerCase(), undefined]);
    else out.push([p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim()]);
  }
  return out;
}

/** The tag as parseNameAddr's parameters give it. */
function referenceTag(value: string): string | undefined {
  const na = parseNameAddr(value);
  return na?.params.find(([k]) => k === 'tag')?.[1];
}

describe('parseParams', () => {
  it('reads flags, values, blanks and case', () => {
    expect(parseParams(';branch=z9hG4bK1 ; RPORT;received = 10.0.0.1;;')).toEqual([
      ['branch', 'z9hG4bK1'],
      ['rport', undefined],
      ['received', '10.0.0.1'],
    ]);
    expect(parseParams('')).toEqual([]);
    expect(parseParams(';a=b=c;=x;=')).toEqual([
      ['a', 'b=c'],
      ['', 'x'],
      ['', ''],
    ]);
  });

  it('agrees with split-and-trim on any text', () => {
    const text = fc
      .array(fc.constantFrom(';', '=', ' ', '\t', 'a', 'B', 'tag', '1', '"', '<', '>'), { maxLength: 40 })
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(text, (t) => {
        expect(parseParams(t)).toEqual(referenceParams(t));
      }),
    );
  });

  it('reads a long run of flags without a value, then a valued one', () => {
    const text = ';a'.repeat(30_000) + ';b=1';
    const params = parseParams(text);
    expect(params).toHaveLength(30_001);
    expect(params.at(-1)).toEqual(['b', '1']);
  });

  it('formats back to ;a=b;c', () => {
    expect(
      formatParams([
        ['a', 'b'],
        ['c', undefined],
      ]),
    ).toBe(';a=b;c');
    expect(formatParams([])).toBe('');
  });
});

describe('tagOf', () => {
  it('reads the header parameter, not a URI parameter', () => {
    expect(tagOf('"Bob" <sip:bob@x;tag=uri>;tag=abc')).toBe('abc');
    expect(tagOf('<sip:bob@x;tag=uri>')).toBeUndefined();
    expect(tagOf('sip:bob@x;TAG=7;other')).toBe('7');
    expect(tagOf('sip:bob@x')).toBeUndefined();
    expect(tagOf('<sip:bob@x>;tag')).toBeUndefined();
    expect(tagOf('<sip:bob@x>;tag=')).toBe('');
    expect(tagOf('<sip:bob@x')).toBeUndefined();
    expect(tagOf(undefined)).toBeUndefined();
  });

  it('agrees with parseNameAddr on any value', () => {
    const value = fc
      .array(fc.constantFrom(';', '=', ' ', '<', '>', 'sip:a@b', 'tag', 'TAG', 'x', '"'), { maxLength: 20 })
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(value, (v) => {
        expect(tagOf(v)).toBe(referenceTag(v));
      }),
    );
  });
});
