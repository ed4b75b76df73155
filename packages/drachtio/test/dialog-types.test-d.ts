// Type test (checked by `tsc --noEmit`): a real drachtio-srf Dialog, as drachtio-srf declares it,
// is accepted where the adapter asks for a ReferDialog.
import type Srf from 'drachtio-srf';
import { expectTypeOf } from 'vitest';
import { canHangUp, hangUp, transfer } from '../src/index.js';
import type { TransferAttempt } from '@referkit/core';
import type { ReferDialog, TransferResult } from '../src/index.js';

declare const dialog: Srf.Dialog;

expectTypeOf(dialog).toExtend<ReferDialog>();
expectTypeOf(transfer(dialog, 'sip:+14155550101@x.zt.plivo.com')).toEqualTypeOf<Promise<TransferResult>>();
expectTypeOf(hangUp(dialog)).toEqualTypeOf<Promise<void>>();
expectTypeOf(canHangUp(dialog)).toEqualTypeOf<boolean>();

// Outcomes narrow on `kind`.
declare const result: TransferResult;
if (result.kind === 'failed') expectTypeOf(result.code).toEqualTypeOf<number>();
if (result.kind === 'cancelled') expectTypeOf(result.by).toEqualTypeOf<'local' | 'remote'>();
expectTypeOf(result.attempts).toEqualTypeOf<readonly TransferAttempt[]>();
