import type { TransferTarget } from '@referkit/core';
import { formatSipUri, parseNameAddr, plivoProfile, validateReferTo } from '@referkit/validators';
import type { TrunkProfile } from '@referkit/validators';
import type { ReferDialog } from './dialog-types.js';
import { TransferError } from './errors.js';

/**
 * A transfer target as given to `transfer()`: an E.164 number (`+14155550101`, placed in the
 * trunk's domain), a SIP/SIPS/TEL URI (`sip:+14155550101@example.zt.plivo.com`, with or without
 * angle brackets), or a `TransferTarget` with its own display name and time budget.
 */
export type TransferTargetInput = string | TransferTarget;

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
/** Characters that would end the `Refer-To` value or the header line: refused even unvalidated. */
const HEADER_BREAKING = /[\r\n\0<>]/;

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
  let profile = rules.profile;
  return inputs.map((input) => {
    const given = typeof input === 'string' ? input : (input as Partial<TransferTarget> | null)?.uri;
    if (typeof given !== 'string' || given.trim() === '') {
      throw new TransferError(
        'INVALID_INPUT',
        'a transfer target must be a non-empty string or an object with a non-empty `uri`',
      );
    }
    const displayName = typeof input === 'string' ? undefined : input.displayName;
    if (displayName !== undefined && /[\r\n\0]/.test(displayName)) {
      throw new TransferError('INVALID_TARGET', 'a display name must not contain CR, LF or NUL', {
        target: given,
      });
    }
    let uri = toUri(given, rules);
    if (HEADER_BREAKING.test(uri) || /\s/.test(uri)) {
      throw new TransferError(
        'INVALID_TARGET',
        `transfer target ${JSON.stringify(given)} contains whitespace, CR, LF, NUL or angle brackets`,
        { target: given },
      );
    }
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
      uri = result.value.uriText;
    }
    return typeof input === 'string' ? { uri } : { ...input, uri };
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
    return `sip:${text.replace(/[-.() ]/g, '')}@${rules.domain}`;
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

/**
 * What the dialog tells about the two parties, from its INVITE (`dialog.req`): for a UAC dialog
 * (`srf.createUAC`, an outbound call) `To` is the far end and `From` us; for a UAS dialog the
 * other way round. `domain` is the far end's host (for a call placed through a Plivo trunk, the
 * termination domain); `localUri` our address, for the default `Referred-By`.
 */
export function dialogParties(dialog: ReferDialog): {
  domain: string | undefined;
  localUri: string | undefined;
} {
  const req = dialog.req;
  if (req === undefined || typeof req.get !== 'function') return { domain: undefined, localUri: undefined };
  const uas = dialog.type === 'uas';
  const remote = parseNameAddr(req.get(uas ? 'From' : 'To') ?? '');
  const local = parseNameAddr(req.get(uas ? 'To' : 'From') ?? '');
  return {
    domain: remote.ok && remote.value.uri.host !== '' ? remote.value.uri.host : undefined,
    localUri: local.ok ? formatSipUri(local.value.uri) : undefined,
  };
}
