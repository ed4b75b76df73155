import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/** `+` then 8 to 15 digits, the first not 0 (ITU-T E.164: at most 15 digits with the country code). */
const E164_SYNTAX = /^\+[1-9][0-9]{7,14}$/;

/**
 * Whether `number` has the E.164 form (`+` then 8 to 15 digits, no separators), without checking
 * the numbering plan.
 */
export function hasE164Syntax(number: string): boolean {
  return typeof number === 'string' && E164_SYNTAX.test(number);
}

/**
 * Whether `number` is an E.164 number that can exist: the form `+` then 8 to 15 digits, and valid
 * for its country per libphonenumber-js's full (`max`) metadata, which checks the number patterns
 * of each country and not only the length.
 *
 * @example
 * ```ts
 * isE164('+14155551234'); // true
 * isE164('4155551234');   // false: no + and country code
 * isE164('+14150000000'); // false: no such US exchange
 * ```
 */
export function isE164(number: string): boolean {
  return countryOfNumber(number) !== undefined;
}

/**
 * Countries already decided, by number (`null`: not valid). libphonenumber-js walks its `max`
 * metadata for each number, about 10 us when warm and 100 us or more in a process that has been
 * idle, on the path of every REFER; a trunk sees the same few targets (agents, queues) again and
 * again. Bounded: once full, the entry added first makes room.
 */
const decided = new Map<string, string | null>();
const DECIDED_MAX = 1024;

/**
 * The ISO 3166-1 alpha-2 country of a valid E.164 number (`'US'`, `'CA'`, `'GB'`...), as
 * libphonenumber-js's `max` metadata decides it (numbers sharing +1 are told apart by area code:
 * `+1416...` is `'CA'`). `'001'` for a valid non-geographic number (`+800` freephone, `+881`
 * satellite...). `undefined` when the number is not valid.
 */
export function countryOfNumber(number: string): string | undefined {
  if (!hasE164Syntax(number)) return undefined;
  let country = decided.get(number);
  if (country === undefined) {
    const parsed = parsePhoneNumberFromString(number);
    country = parsed?.isValid() === true ? (parsed.country ?? '001') : null;
    if (decided.size >= DECIDED_MAX) decided.delete(decided.keys().next().value as string);
    decided.set(number, country);
  }
  return country ?? undefined;
}
