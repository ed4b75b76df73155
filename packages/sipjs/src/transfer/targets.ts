import type { TransferTarget } from '@referkit/core';
import { plivoProfile, validateReferTo } from '@referkit/validators';
import type { TrunkProfile } from '@referkit/validators';
import { TransferError } from './errors.js';
import type { TransferTargetInput } from './types.js';

/** How targets are checked and completed before the first REFER. */
export interface TargetRules {
  /** Domain for bare numbers and for the default profile; undefined when unknown. */
  readonly domain: string | undefined;
  /** Validate with `validateReferTo` (default true). */
  readonly validate: boolean;
  /** Explicit trunk profile. */
  readonly profile: TrunkProfile | undefined;
}

const SCHEME = /^(sips?|tel):/i;
const NUMBER = /^\+?[0-9][-0-9.() ]*$/;

/**
 * Turns the caller's targets into the hunt list for the transferor machine: bare numbers get the
 * domain, every URI is validated as a `Refer-To` against the trunk profile (unless `validate` is
 * false). Throws {@link TransferError} (`INVALID_TARGET`, `NO_TARGETS`, `INVALID_INPUT`) before
 * anything is sent.
 */
export function resolveTargets(inputs: readonly TransferTargetInput[], rules: TargetRules): TransferTarget[] {
  if (inputs.length === 0) {
    throw new TransferError(
      'NO_TARGETS',
      'no transfer target given: pass a number, a SIP URI or a list of them',
    );
  }
  let profile: TrunkProfile | undefined = rules.profile;
  return inputs.map((input) => {
    const given = typeof input === 'string' ? input : (input as Partial<TransferTarget> | null)?.uri;
    if (typeof given !== 'string' || given.trim() === '') {
      throw new TransferError(
        'INVALID_INPUT',
        'a transfer target must be a non-empty string or an object with a non-empty `uri`',
      );
    }
    const uri = toUri(given, rules);
    let finalUri = uri;
    if (rules.validate) {
      profile ??= defaultProfile(rules.domain, given);
      const result = validateReferTo(`<${uri}>`, profile);
      if (!result.ok) {
        throw new TransferError(
          'INVALID_TARGET',
          `transfer target ${JSON.stringify(given)} refused (${result.error.status} ${result.error.reason}): ${result.error.message}`,
          { target: given, referToError: result.error },
        );
      }
      finalUri = result.value.uriText;
    }
    if (typeof input === 'string') return { uri: finalUri };
    return { ...input, uri: finalUri };
  });
}

function toUri(given: string, rules: TargetRules): string {
  let text = given.trim();
  if (text.startsWith('<') && text.endsWith('>')) text = text.slice(1, -1).trim();
  if (SCHEME.test(text)) return text;
  if (NUMBER.test(text)) {
    if (rules.domain === undefined || rules.domain === '') {
      throw new TransferError(
        'INVALID_TARGET',
        `transfer target ${JSON.stringify(given)} is a number but no domain is known: pass options.domain (the trunk's termination domain)`,
        { target: given },
      );
    }
    const number = text.replace(/[-.() ]/g, '');
    return `sip:${number}@${rules.domain}`;
  }
  if (!rules.validate) return text;
  throw new TransferError(
    'INVALID_TARGET',
    `transfer target ${JSON.stringify(given)} is neither an E.164 number nor a sip:/sips:/tel: URI`,
    { target: given },
  );
}

function defaultProfile(domain: string | undefined, given: string): TrunkProfile {
  if (domain === undefined || domain === '') {
    throw new TransferError(
      'INVALID_TARGET',
      `cannot validate ${JSON.stringify(given)}: the trunk's termination domain is unknown; pass options.domain or options.profile`,
      { target: given },
    );
  }
  return plivoProfile({ terminationDomain: domain });
}
