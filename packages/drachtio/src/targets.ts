import type { TransferTarget } from '@referkit/core';
import { formatSipUri, parseNameAddr, resolveTransferTargets } from '@referkit/validators';
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

/**
 * Turns the caller's targets into the hunt list for the transferor machine with
 * `resolveTransferTargets` from `@referkit/validators`: bare numbers get the domain, every URI is
 * validated as a `Refer-To` against the trunk profile (unless `validate` is false). Throws
 * {@link TransferError} (`INVALID_TARGET`, `NO_TARGETS`, `INVALID_INPUT`) before anything is sent.
 */
export function resolveTargets(inputs: readonly TransferTargetInput[], rules: TargetRules): TransferTarget[] {
  const result = resolveTransferTargets(inputs, rules);
  if (result.ok) return result.value;
  const { code, message, target, referToError } = result.error;
  throw new TransferError(code, message, { target, referToError });
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
