import type { TransferTarget } from '@referkit/core';
import { resolveTransferTargets } from '@referkit/validators';
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
