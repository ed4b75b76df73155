import { validateReferTo, type ReferToError } from './refer-to.js';
import { err, ok, type Result } from './result.js';
import { plivoProfile, type TrunkProfile } from './trunk-profile.js';

/**
 * A transfer target as an application gives it: an E.164 number (`+14155550101`, placed in the
 * trunk's domain), a `sip:`/`sips:`/`tel:` URI with or without angle brackets, or an object with
 * its own display name and time budget.
 */
export type TransferTargetSpec =
  | string
  | {
      readonly uri: string;
      readonly displayName?: string | undefined;
      readonly timeoutMs?: number | undefined;
    };

/** A target ready for `Refer-To`: the URI in addr-spec form (no angle brackets). */
export interface ResolvedTransferTarget {
  /** The target URI, canonical when validated. */
  readonly uri: string;
  /** Display name to put before the bracketed URI. */
  readonly displayName?: string | undefined;
  /** Time budget for this target, in milliseconds. */
  readonly timeoutMs?: number | undefined;
}

/** How {@link resolveTransferTargets} completes and checks targets. */
export interface TransferTargetRules {
  /** The trunk's termination domain: bare numbers are placed there; the default profile uses it. */
  readonly domain?: string | undefined;
  /** Check each target with {@link validateReferTo} (default `true`). */
  readonly validate?: boolean | undefined;
  /** The trunk profile to check against (default `plivoProfile({ terminationDomain: domain })`). */
  readonly profile?: TrunkProfile | undefined;
}

/** Codes of {@link TransferTargetError}. */
export type TransferTargetErrorCode = 'NO_TARGETS' | 'INVALID_INPUT' | 'INVALID_TARGET';

/** Why a list of transfer targets cannot be sent. */
export interface TransferTargetError {
  /** `NO_TARGETS` (empty list), `INVALID_INPUT` (not a string or `{ uri }`), `INVALID_TARGET`. */
  readonly code: TransferTargetErrorCode;
  /** What is wrong and how to fix it. */
  readonly message: string;
  /** The target as given, when one target is at fault. */
  readonly target?: string | undefined;
  /** The trunk's rule it breaks (with the 400/403 the trunk would answer), when validated. */
  readonly referToError?: ReferToError | undefined;
}

const SCHEME = /^(sips?|tel):/i;
const NUMBER = /^\+?[0-9][-0-9.() ]*$/;
/** Characters that would end the `Refer-To` value or its header line: refused even unvalidated. */
const HEADER_BREAKING = /[\s\0<>]/;

/**
 * Turns an application's transfer targets into the hunt list the transfer adapters send: bare
 * numbers get the trunk's domain, and each URI is checked as a `Refer-To` against the trunk's rules
 * (unless `validate` is `false`, which still refuses anything that would break the header line).
 * Never throws: the first bad target gives a {@link TransferTargetError}.
 *
 * @example
 * ```ts
 * const targets = resolveTransferTargets(['+14155550101', 'sip:+14155550102@pbx.example.com'], {
 *   domain: 'XXXXXXXXXXXX.zt.plivo.com',
 * });
 * if (!targets.ok) console.log(targets.error.referToError?.status); // 403: foreign domain
 * ```
 */
export function resolveTransferTargets(
  inputs: readonly TransferTargetSpec[],
  rules: TransferTargetRules = {},
): Result<ResolvedTransferTarget[], TransferTargetError> {
  if (inputs.length === 0) {
    return err({
      code: 'NO_TARGETS',
      message: 'no transfer target given: pass a number, a SIP URI or a list of them',
    });
  }
  const validate = rules.validate ?? true;
  let profile = rules.profile;
  const resolved: ResolvedTransferTarget[] = [];
  for (const input of inputs) {
    const given = typeof input === 'string' ? input : (input as Partial<ResolvedTransferTarget> | null)?.uri;
    if (typeof given !== 'string' || given.trim() === '') {
      return err({
        code: 'INVALID_INPUT',
        message: 'a transfer target must be a non-empty string or an object with a non-empty `uri`',
      });
    }
    const displayName = typeof input === 'string' ? undefined : input.displayName;
    if (displayName !== undefined && /[\r\n\0]/.test(displayName)) {
      return err({
        code: 'INVALID_TARGET',
        message: 'a display name must not contain CR, LF or NUL',
        target: given,
      });
    }
    const uri = toUri(given, rules.domain, validate);
    if (!uri.ok) return uri;
    let text = uri.value;
    if (HEADER_BREAKING.test(text)) {
      return err({
        code: 'INVALID_TARGET',
        message: `transfer target ${JSON.stringify(given)} contains whitespace, CR, LF, NUL or angle brackets`,
        target: given,
      });
    }
    if (validate) {
      if (profile === undefined) {
        if (rules.domain === undefined || rules.domain === '') {
          return err({
            code: 'INVALID_TARGET',
            message: `cannot validate ${JSON.stringify(given)}: the trunk's termination domain is unknown; pass options.domain or options.profile`,
            target: given,
          });
        }
        profile = plivoProfile({ terminationDomain: rules.domain });
      }
      const result = validateReferTo(`<${text}>`, profile);
      if (!result.ok) {
        return err({
          code: 'INVALID_TARGET',
          message: `transfer target ${JSON.stringify(given)} refused (${result.error.status} ${result.error.reason}): ${result.error.message}`,
          target: given,
          referToError: result.error,
        });
      }
      text = result.value.uriText;
    }
    resolved.push(typeof input === 'string' ? { uri: text } : { ...input, uri: text });
  }
  return ok(resolved);
}

function toUri(
  given: string,
  domain: string | undefined,
  validate: boolean,
): Result<string, TransferTargetError> {
  let text = given.trim();
  if (text.startsWith('<') && text.endsWith('>')) text = text.slice(1, -1).trim();
  if (SCHEME.test(text)) return ok(text);
  if (NUMBER.test(text)) {
    if (domain === undefined || domain === '') {
      return err({
        code: 'INVALID_TARGET',
        message: `transfer target ${JSON.stringify(given)} is a number but no domain is known: pass options.domain (the trunk's termination domain)`,
        target: given,
      });
    }
    return ok(`sip:${text.replace(/[-.() ]/g, '')}@${domain}`);
  }
  if (!validate) return ok(text);
  return err({
    code: 'INVALID_TARGET',
    message: `transfer target ${JSON.stringify(given)} is neither an E.164 number nor a sip:/sips:/tel: URI`,
    target: given,
  });
}
