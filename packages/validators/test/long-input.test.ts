import { describe, expect, it } from 'vitest';
import {
  classifyAddress,
  parseEvent,
  parseNameAddr,
  parseReferredBy,
  parseSipfrag,
  parseSipUri,
  parseSubscriptionState,
  plivoProfile,
  splitHeaderList,
  validateReferTo,
} from '../src/index.js';

const profile = plivoProfile({ terminationDomain: 'x.zt.plivo.com' });
const n = 200_000;

/**
 * Inputs shaped to make a backtracking pattern go quadratic (a long run the pattern almost
 * matches, then one character that fails it). A regression hangs the test until its timeout.
 */
const adversarial = [
  'tel:+' + '1'.repeat(n) + 'a',
  'tel:' + '-'.repeat(n) + 'x',
  'sip:' + 'a'.repeat(n) + '@' + 'b.'.repeat(n / 2) + '-',
  'sip:a@[' + ':'.repeat(n) + ']',
  'sip:a@x.com' + ';a'.repeat(n / 2),
  '"' + '\\"'.repeat(n / 2),
  '<sip:a@x.com>' + '; a = "b"'.repeat(n / 10) + ' junk',
  'SIP/2.0 200 ' + ' '.repeat(n) + '\r\n' + 'X:'.repeat(n),
  'refer' + ';id=1'.repeat(n / 5),
  'active' + ';expires='.repeat(n / 9),
  ','.repeat(n),
  '<'.repeat(n),
];

describe('long adversarial input', () => {
  it.each(adversarial.map((text, i) => [i, text] as const))(
    'input %i is handled without hanging',
    (_i, text) => {
      const results = [
        parseSipUri(text),
        parseNameAddr(text),
        parseSipfrag(text),
        parseEvent(text),
        parseSubscriptionState(text),
        parseReferredBy(text),
        validateReferTo(text, profile),
      ];
      expect(results.every((r) => typeof r.ok === 'boolean')).toBe(true);
      expect(Array.isArray(splitHeaderList(text))).toBe(true);
      expect(classifyAddress(text)).toBeUndefined();
    },
  );
});
