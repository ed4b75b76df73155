import type { TransferProgress } from '@referkit/core';
import { plivoProfile } from '@referkit/validators';
import { describe, expect, it } from 'vitest';
import { TransferError, canHangUp, hangUp, transfer } from '../src/index.js';
import type { DrachtioTransferOptions, TransferResult } from '../src/index.js';
import { FAKE_TRUNK_DOMAIN, FakeDialog, FakeMessage, ManualTimers, flush } from './fake-dialog.js';

const DOMAIN = FAKE_TRUNK_DOMAIN;
const TARGET = `sip:+14155550101@${DOMAIN}`;
const FALLBACK = `sip:+14155550105@${DOMAIN}`;

/** Starts a transfer on a fresh fake dialog and waits until its first REFER is out. */
async function start(
  options: DrachtioTransferOptions = {},
  targets: string | readonly string[] = TARGET,
  dialog = new FakeDialog(),
) {
  const timers = new ManualTimers();
  const progress: TransferProgress[] = [];
  let settled: TransferResult | undefined;
  const promise = transfer(dialog, targets, {
    timers,
    onProgress: (p) => progress.push(p),
    ...options,
  }).then((r) => (settled = r));
  await flush();
  return { dialog, timers, progress, promise, settled: () => settled };
}

/** After a transfer ended: nothing of the adapter is left on the dialog. */
function expectClean(dialog: FakeDialog, timers: ManualTimers): void {
  expect(timers.size).toBe(0);
  expect(dialog.listenerCount('notify')).toBe(0);
  expect(dialog.listenerCount('destroy')).toBe(0);
  expect(dialog.listenerCount('removeListener')).toBe(0);
}

describe('transfer: outcomes', () => {
  it('succeeded: REFER with explicit headers, NOTIFY 100/180/200 answered 200, no BYE', async () => {
    const { dialog, timers, progress, promise } = await start({
      referredBy: '<sip:agent@pbx.example.com>',
      headers: { 'X-Reason': 'escalation' },
    });
    const refer = dialog.lastRefer;
    expect(refer.method).toBe('REFER');
    expect(refer.headers).toEqual({
      'Refer-To': `<${TARGET}>`,
      'Referred-By': '<sip:agent@pbx.example.com>',
      Contact: '<sip:agent@127.0.0.1:5070>',
      'X-Reason': 'escalation',
    });
    expect(dialog.listenerCount('notify')).toBe(1);
    refer.respond(202, 'Accepted');
    expect(dialog.referNotify(refer.cseq, 100, 'Trying').status).toBe(200);
    expect(dialog.referNotify(refer.cseq, 180, 'Ringing').status).toBe(200);
    expect(dialog.referNotify(refer.cseq, 200, 'OK').status).toBe(200);
    const result = await promise;
    expect(result.kind).toBe('succeeded');
    expect(result).toMatchObject({ code: 200, reason: 'OK' });
    expect(result.attempts).toHaveLength(1);
    expect(result.attempts[0]?.cseq).toBe(refer.cseq);
    expect(progress.map((p) => p.kind)).toEqual(['accepted', 'trying', 'ringing']);
    expect(dialog.byes).toBe(0);
    expect(dialog.connected).toBe(true);
    expectClean(dialog, timers);
  });

  it('failed(486): the caller stays on the dialog, no BYE', async () => {
    const { dialog, timers, promise } = await start();
    dialog.lastRefer.respond(202, 'Accepted');
    expect(dialog.referNotify(dialog.lastRefer.cseq, 486, 'Busy Here').status).toBe(200);
    const result = await promise;
    expect(result).toMatchObject({ kind: 'failed', code: 486, reason: 'Busy Here' });
    expect(dialog.byes).toBe(0);
    expect(canHangUp(dialog)).toBe(true);
    expectClean(dialog, timers);
  });

  it.each([
    [403, 'Forbidden'],
    [400, 'Bad Request'],
    [481, 'Call/Transaction Does Not Exist'],
    [491, 'Request Pending'],
  ])('rejected(%i): the REFER got a non-2xx final response', async (status, reason) => {
    const { dialog, timers, promise } = await start();
    dialog.lastRefer.respond(status, reason);
    expect(await promise).toMatchObject({ kind: 'rejected', code: status, reason });
    expect(dialog.byes).toBe(0);
    expectClean(dialog, timers);
  });

  it('a provisional response to the REFER is followed by its final one', async () => {
    const { dialog, promise } = await start();
    dialog.lastRefer.respond(100, 'Trying');
    dialog.lastRefer.respond(202, 'Accepted');
    dialog.referNotify(dialog.lastRefer.cseq, 200, 'OK');
    expect((await promise).kind).toBe('succeeded');
  });

  it('timedOut: 202 and no final NOTIFY within the budget; the call stays up', async () => {
    const { dialog, timers, promise, settled } = await start({ notifyTimeoutMs: 20_000 });
    dialog.lastRefer.respond(202, 'Accepted');
    dialog.referNotify(dialog.lastRefer.cseq, 100, 'Trying');
    timers.advance(19_999);
    await flush();
    expect(settled()).toBeUndefined();
    timers.advance(1);
    expect((await promise).kind).toBe('timedOut');
    expect(dialog.byes).toBe(0);
    expectClean(dialog, timers);
  });

  it('a target timeoutMs overrides notifyTimeoutMs', async () => {
    const dialog = new FakeDialog();
    const timers = new ManualTimers();
    const promise = transfer(dialog, { uri: TARGET, timeoutMs: 5_000 }, { timers, notifyTimeoutMs: 60_000 });
    await flush();
    timers.advance(5_000);
    expect((await promise).kind).toBe('timedOut');
  });

  it('unverified: 202 with Refer-Sub: false', async () => {
    const { dialog, timers, promise } = await start();
    dialog.lastRefer.respond(202, 'Accepted', { 'Refer-Sub': 'false' });
    expect((await promise).kind).toBe('unverified');
    expectClean(dialog, timers);
  });

  it('unverified: subscription terminated without a final status', async () => {
    const { dialog, timers, promise } = await start();
    dialog.lastRefer.respond(202, 'Accepted');
    expect(dialog.referNotify(dialog.lastRefer.cseq, 100, 'Trying', 'terminated;reason=timeout').status).toBe(
      200,
    );
    expect((await promise).kind).toBe('unverified');
    expectClean(dialog, timers);
  });

  it('cancelled(remote): the far end hung up first', async () => {
    const { dialog, timers, promise } = await start();
    dialog.lastRefer.respond(202, 'Accepted');
    dialog.referNotify(dialog.lastRefer.cseq, 180, 'Ringing');
    dialog.remoteBye();
    expect(await promise).toMatchObject({ kind: 'cancelled', by: 'remote' });
    expect(timers.size).toBe(0);
    expect(canHangUp(dialog)).toBe(false);
  });

  it('cancelled(local): the application destroyed the dialog itself', async () => {
    const { dialog, timers, promise } = await start();
    dialog.lastRefer.respond(202, 'Accepted');
    dialog.destroy({ headers: {} }, () => undefined);
    expect(await promise).toMatchObject({ kind: 'cancelled', by: 'local' });
    expect(timers.size).toBe(0);
  });

  it('cancelled(local): the AbortSignal stops waiting without a BYE; later NOTIFYs are not ours', async () => {
    const controller = new AbortController();
    const { dialog, timers, promise } = await start({ signal: controller.signal });
    dialog.lastRefer.respond(202, 'Accepted');
    controller.abort();
    const result = await promise;
    expect(result).toMatchObject({ kind: 'cancelled', by: 'local' });
    expect(result.attempts).toHaveLength(1);
    expect(dialog.byes).toBe(0);
    expectClean(dialog, timers);
    // A new transfer on the same dialog may start: the machine is no longer in flight.
    const again = transfer(dialog, TARGET, { timers });
    await flush();
    dialog.lastRefer.respond(202, 'Accepted');
    // The aborted subscription's NOTIFY is answered 481, the new one's 200.
    expect(dialog.referNotify(dialog.sent[0]?.cseq, 200, 'OK').status).toBe(481);
    expect(dialog.referNotify(dialog.lastRefer.cseq, 200, 'OK').status).toBe(200);
    expect((await again).kind).toBe('succeeded');
  });

  it('an already aborted signal sends nothing', async () => {
    const dialog = new FakeDialog();
    const result = await transfer(dialog, TARGET, { signal: AbortSignal.abort() });
    expect(result).toEqual({ kind: 'cancelled', by: 'local', attempts: [] });
    expect(dialog.sent).toHaveLength(0);
    expect(dialog.listenerCount('notify')).toBe(0);
  });

  it('rejected(503) when the REFER cannot be sent (callback error or throw)', async () => {
    for (const mode of ['callback', 'throw'] as const) {
      const dialog = new FakeDialog();
      dialog.failNext = mode;
      const timers = new ManualTimers();
      const result = await transfer(dialog, TARGET, { timers });
      expect(result).toMatchObject({ kind: 'rejected', code: 503 });
      expectClean(dialog, timers);
    }
  });
});

describe('transfer: NOTIFY routing', () => {
  it('a NOTIFY for another subscription id is answered 481 and changes nothing', async () => {
    const { dialog, progress, promise } = await start();
    const { cseq } = dialog.lastRefer;
    dialog.lastRefer.respond(202, 'Accepted');
    expect(dialog.referNotify(cseq + 7, 200, 'OK').status).toBe(481);
    expect(progress.map((p) => p.kind)).toEqual(['accepted']);
    expect(dialog.referNotify(cseq, 200, 'OK').status).toBe(200);
    expect((await promise).kind).toBe('succeeded');
  });

  it('a NOTIFY without id matches the first REFER of the dialog only', async () => {
    const { dialog, timers, promise } = await start();
    dialog.lastRefer.respond(202, 'Accepted');
    expect(dialog.referNotify(undefined, 486, 'Busy Here').status).toBe(200);
    expect((await promise).kind).toBe('failed');
    const second = transfer(dialog, TARGET, { timers });
    await flush();
    dialog.lastRefer.respond(202, 'Accepted');
    expect(dialog.referNotify(undefined, 200, 'OK').status).toBe(481);
    expect(dialog.referNotify(dialog.lastRefer.cseq, 200, 'OK').status).toBe(200);
    expect((await second).kind).toBe('succeeded');
  });

  it('a NOTIFY that beats the 202 is held until the CSeq is known, then answered 200', async () => {
    const { dialog, progress, promise } = await start();
    const refer = dialog.lastRefer;
    const early = dialog.referNotify(refer.cseq, 100, 'Trying');
    expect(early.sent).toHaveLength(0);
    refer.respond(202, 'Accepted');
    expect(early.status).toBe(200);
    expect(progress.map((p) => p.kind)).toEqual(['trying']);
    dialog.referNotify(refer.cseq, 200, 'OK');
    expect((await promise).kind).toBe('succeeded');
  });

  it('a final NOTIFY before the 202 completes the transfer once the 202 arrives', async () => {
    const { dialog, timers, promise } = await start();
    const refer = dialog.lastRefer;
    const early = dialog.referNotify(refer.cseq, 200, 'OK');
    refer.respond(202, 'Accepted');
    expect(early.status).toBe(200);
    expect((await promise).kind).toBe('succeeded');
    expectClean(dialog, timers);
  });

  it('held NOTIFYs are answered when the REFER times out without a response', async () => {
    const { dialog, timers, promise } = await start({ notifyTimeoutMs: 1_000 });
    const early = dialog.referNotify(dialog.lastRefer.cseq, 100, 'Trying');
    timers.advance(1_000);
    expect(early.status).toBe(481);
    expect((await promise).kind).toBe('timedOut');
    expectClean(dialog, timers);
  });

  it('NOTIFYs of other event packages are left to the application, or answered 200 like drachtio-srf', async () => {
    const { dialog, promise } = await start();
    const lone = dialog.notify({ Event: 'dialog', 'Subscription-State': 'active' });
    expect(lone.status).toBe(200);
    const seen: unknown[] = [];
    dialog.on('notify', (req: unknown, res: { send(s: number, r: string, o: object): void }) => {
      seen.push(req);
      res.send(202, 'Mine', {});
    });
    const appOwned = dialog.notify({ Event: 'presence' });
    expect(appOwned.sent).toEqual([{ status: 202, reason: 'Mine' }]);
    expect(seen).toHaveLength(1);
    dialog.removeAllListeners('notify');
    dialog.lastRefer.respond(603, 'Decline');
    expect((await promise).kind).toBe('rejected');
  });

  it('Event in compact form (o) and a sipfrag with extra header lines are understood', async () => {
    const { dialog, promise } = await start();
    dialog.lastRefer.respond(202, 'Accepted');
    const res = dialog.notify(
      { o: `refer;id=${dialog.lastRefer.cseq}`, 'Subscription-State': 'terminated' },
      'SIP/2.0 603 Declined\r\nContent-Length: 0\r\n\r\n',
    );
    expect(res.status).toBe(200);
    expect(await promise).toMatchObject({ kind: 'failed', code: 603 });
  });

  it('an Event id that is not a number is answered 400', async () => {
    const { dialog, promise } = await start();
    dialog.lastRefer.respond(202, 'Accepted');
    expect(dialog.notify({ Event: 'refer;id=abc', 'Subscription-State': 'active' }).status).toBe(400);
    dialog.referNotify(dialog.lastRefer.cseq, 200, 'OK');
    expect((await promise).kind).toBe('succeeded');
  });

  it('an unreadable sipfrag body is no status; a missing Subscription-State counts as active', async () => {
    const { dialog, progress, promise } = await start();
    dialog.lastRefer.respond(202, 'Accepted');
    expect(dialog.notify({ Event: `refer;id=${dialog.lastRefer.cseq}` }, 'garbage').status).toBe(200);
    expect(progress.map((p) => p.kind)).toEqual(['accepted']);
    dialog.referNotify(dialog.lastRefer.cseq, 200, 'OK');
    expect((await promise).kind).toBe('succeeded');
  });
});

describe('transfer: hunt list', () => {
  it('moves to the next target after a failure and reports every attempt', async () => {
    const { dialog, timers, progress, promise } = await start({}, [TARGET, FALLBACK]);
    const first = dialog.lastRefer;
    first.respond(202, 'Accepted');
    dialog.referNotify(first.cseq, 486, 'Busy Here');
    const second = dialog.lastRefer;
    expect(second).not.toBe(first);
    expect(second.cseq).toBe(first.cseq + 1);
    expect(second.headers['Refer-To']).toBe(`<${FALLBACK}>`);
    second.respond(202, 'Accepted');
    dialog.referNotify(second.cseq, 200, 'OK');
    const result = await promise;
    expect(result.kind).toBe('succeeded');
    expect(result.attempts.map((a) => a.outcome.kind)).toEqual(['failed', 'succeeded']);
    expect(progress.map((p) => p.kind)).toEqual(['accepted', 'attemptEnded', 'accepted']);
    expectClean(dialog, timers);
  });

  it('after a timeout the old subscription gets 481 and its late 202 is ignored', async () => {
    const { dialog, timers, promise } = await start({ notifyTimeoutMs: 10_000 }, [TARGET, FALLBACK]);
    const first = dialog.lastRefer;
    timers.advance(10_000);
    const second = dialog.lastRefer;
    expect(second).not.toBe(first);
    // The first REFER's response arrives late: it must not count for the second.
    first.respond(202, 'Accepted');
    expect(dialog.referNotify(first.cseq, 200, 'OK').status).toBe(481);
    second.respond(202, 'Accepted');
    expect(dialog.referNotify(second.cseq, 200, 'OK').status).toBe(200);
    const result = await promise;
    expect(result.attempts.map((a) => a.outcome.kind)).toEqual(['timedOut', 'succeeded']);
    expectClean(dialog, timers);
  });

  it('stops on 481 (the dialog is gone)', async () => {
    const { dialog, promise } = await start({}, [TARGET, FALLBACK]);
    dialog.lastRefer.respond(481, 'Call/Transaction Does Not Exist');
    expect(await promise).toMatchObject({ kind: 'rejected', code: 481 });
    expect(dialog.sent).toHaveLength(1);
  });
});

describe('hang-up guard', () => {
  it('refuses a BYE before the 2xx NOTIFY, and sends none', async () => {
    const { dialog, promise } = await start();
    dialog.lastRefer.respond(202, 'Accepted');
    expect(canHangUp(dialog)).toBe(false);
    await expect(hangUp(dialog)).rejects.toMatchObject({ code: 'HANG_UP_BEFORE_FINAL_NOTIFY' });
    expect(dialog.byes).toBe(0);
    dialog.referNotify(dialog.lastRefer.cseq, 200, 'OK');
    await promise;
    expect(canHangUp(dialog)).toBe(true);
    await hangUp(dialog);
    expect(dialog.byes).toBe(1);
    expect(dialog.connected).toBe(false);
    await expect(hangUp(dialog)).rejects.toMatchObject({ code: 'DIALOG_ENDED' });
  });

  it('with allowEarlyHangup a hang-up in flight cancels the transfer and sends BYE', async () => {
    const { dialog, timers, promise } = await start({ allowEarlyHangup: true });
    dialog.lastRefer.respond(202, 'Accepted');
    expect(canHangUp(dialog)).toBe(true);
    await hangUp(dialog);
    expect(await promise).toMatchObject({ kind: 'cancelled', by: 'local' });
    expect(dialog.byes).toBe(1);
    expect(timers.size).toBe(0);
  });

  it('hangUpOnSuccess sends BYE right after the 2xx NOTIFY', async () => {
    const { dialog, promise } = await start({ hangUpOnSuccess: true });
    dialog.lastRefer.respond(202, 'Accepted');
    dialog.referNotify(dialog.lastRefer.cseq, 200, 'OK');
    expect((await promise).kind).toBe('succeeded');
    expect(dialog.byes).toBe(1);
    await flush();
    expect(dialog.connected).toBe(false);
  });

  it('hangUp on a dialog that never transferred just sends BYE', async () => {
    const dialog = new FakeDialog();
    expect(canHangUp(dialog)).toBe(true);
    await hangUp(dialog);
    expect(dialog.byes).toBe(1);
  });
});

describe('transfer: refused input (typed errors, nothing sent)', () => {
  async function refused(
    promise: Promise<unknown>,
    dialog: FakeDialog,
    code: string,
  ): Promise<TransferError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TransferError);
    expect((error as TransferError).code).toBe(code);
    expect(dialog.sent).toHaveLength(0);
    return error as TransferError;
  }

  it('a second transfer while one is in flight', async () => {
    const { dialog, promise } = await start();
    const second = transfer(dialog, FALLBACK);
    const error = await second.catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TRANSFER_IN_PROGRESS' });
    expect(dialog.sent).toHaveLength(1);
    dialog.lastRefer.respond(403, 'Forbidden');
    await promise;
  });

  it('an ended dialog', async () => {
    const dialog = new FakeDialog();
    dialog.connected = false;
    await refused(transfer(dialog, TARGET), dialog, 'DIALOG_ENDED');
  });

  it('after the far end hung up, the same dialog refuses a new transfer', async () => {
    const { dialog, promise } = await start();
    dialog.remoteBye();
    await promise;
    dialog.connected = true; // even if a caller forgets the flag, the machine knows
    dialog.sent.length = 0;
    await refused(transfer(dialog, TARGET), dialog, 'DIALOG_ENDED');
  });

  it('no targets', async () => {
    const dialog = new FakeDialog();
    await refused(transfer(dialog, []), dialog, 'NO_TARGETS');
  });

  it('malformed URIs, bare numbers without a domain, header-breaking characters', async () => {
    const dialog = new FakeDialog();
    const malformed = await refused(transfer(dialog, 'sip:'), dialog, 'INVALID_TARGET');
    expect(malformed.referToError?.code).toBe('MALFORMED');
    expect(malformed.target).toBe('sip:');
    await refused(transfer(dialog, 'alice'), dialog, 'INVALID_TARGET');
    await refused(transfer(dialog, 'sip:a@b.com>\r\nX: y', { validate: false }), dialog, 'INVALID_TARGET');
    await refused(
      transfer(dialog, { uri: TARGET, displayName: 'A\r\nB' }, { validate: false }),
      dialog,
      'INVALID_TARGET',
    );
    await refused(transfer(dialog, [{} as never]), dialog, 'INVALID_INPUT');
    const anonymous = new FakeDialog();
    anonymous.req = undefined;
    const noDomain = await refused(transfer(anonymous, '+14155550101'), anonymous, 'INVALID_TARGET');
    expect(noDomain.message).toContain('options.domain');
    // Without a domain a URI cannot be checked against the trunk either, unless given a profile.
    await refused(transfer(anonymous, TARGET), anonymous, 'INVALID_TARGET');
  });

  it('something that is not a dialog', async () => {
    const error = await transfer({} as never, TARGET).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('a trunk profile refuses private addresses, foreign domains and non-E.164 users', async () => {
    const dialog = new FakeDialog();
    const profile = plivoProfile({ terminationDomain: DOMAIN });
    const cases: [string, string][] = [
      ['sip:+14155550101@192.168.1.10', 'PRIVATE_ADDRESS'],
      ['sip:+14155550101@pbx.example.com', 'FOREIGN_DOMAIN'],
      [`sip:agent@${DOMAIN}`, 'NOT_E164'],
    ];
    for (const [uri, code] of cases) {
      const error = await refused(transfer(dialog, uri, { profile }), dialog, 'INVALID_TARGET');
      expect(error.referToError?.code).toBe(code);
      expect(error.message).toContain(error.referToError?.message);
    }
  });

  it('validate: false sends a target the profile would refuse', async () => {
    const profile = plivoProfile({ terminationDomain: DOMAIN });
    const { dialog, promise } = await start({ profile, validate: false }, 'sip:agent@192.168.1.10');
    expect(dialog.lastRefer.headers['Refer-To']).toBe('<sip:agent@192.168.1.10>');
    dialog.lastRefer.respond(403, 'Forbidden');
    expect(await promise).toMatchObject({ kind: 'rejected', code: 403 });
  });

  it('a bare number takes the trunk domain of the INVITE; Referred-By defaults to our From', async () => {
    const { dialog, promise } = await start({}, ['+1 (415) 555-0101']);
    expect(dialog.lastRefer.headers['Refer-To']).toBe(`<${TARGET}>`);
    expect(dialog.lastRefer.headers['Referred-By']).toBe('<sip:agent@pbx.example.com>');
    dialog.lastRefer.respond(403, 'Forbidden');
    await promise;
  });

  it('a UAS dialog takes the domain from From; referredBy: false omits the header', async () => {
    const dialog = new FakeDialog();
    dialog.type = 'uas';
    dialog.req = new FakeMessage(
      { From: `<sip:+14155550100@${DOMAIN}>;tag=x`, To: '<sip:agent@pbx.example.com>' },
      '',
    );
    const { promise } = await start({ referredBy: false }, '+14155550101', dialog);
    expect(dialog.lastRefer.headers['Refer-To']).toBe(`<${TARGET}>`);
    expect(dialog.lastRefer.headers).not.toHaveProperty('Referred-By');
    dialog.lastRefer.respond(403, 'Forbidden');
    await promise;
  });

  it('options.domain and a display name', async () => {
    const other = 'fedcbafedcba.zt.plivo.com';
    const { dialog, promise } = await start({ domain: other }, '+14155550101');
    expect(dialog.lastRefer.headers['Refer-To']).toBe(`<sip:+14155550101@${other}>`);
    dialog.lastRefer.respond(403, 'Forbidden');
    await promise;
    const named = new FakeDialog();
    const p = transfer(named, { uri: TARGET, displayName: 'Sales "Desk"' });
    await flush();
    expect(named.lastRefer.headers['Refer-To']).toBe(`"Sales \\"Desk\\"" <${TARGET}>`);
    named.lastRefer.respond(403, 'Forbidden');
    await p;
  });

  it('invalid or reserved extra headers', async () => {
    const dialog = new FakeDialog();
    await refused(transfer(dialog, TARGET, { headers: { 'Bad Name': 'x' } }), dialog, 'INVALID_INPUT');
    await refused(
      transfer(dialog, TARGET, { headers: { 'X-A': 'x\r\nVia: evil' } }),
      dialog,
      'INVALID_INPUT',
    );
    await refused(
      transfer(dialog, TARGET, { headers: { 'refer-to': '<sip:x@y>' } }),
      dialog,
      'INVALID_INPUT',
    );
    await refused(transfer(dialog, TARGET, { headers: { CSeq: '1 REFER' } }), dialog, 'INVALID_INPUT');
    await refused(transfer(dialog, TARGET, { referredBy: '<sip:a@b>\r\nX: y' }), dialog, 'INVALID_INPUT');
    await refused(transfer(dialog, TARGET, { headers: { Event: 'refer' } }), dialog, 'INVALID_INPUT');
  });

  it('a Contact given in headers replaces the dialog one', async () => {
    const { dialog, promise } = await start({ headers: { Contact: '<sip:agent@203.0.113.5:5060>' } });
    expect(dialog.lastRefer.headers.Contact).toBe('<sip:agent@203.0.113.5:5060>');
    dialog.lastRefer.respond(403, 'Forbidden');
    await promise;
  });
});

describe('transfer: robustness', () => {
  it('a throwing progress callback does not stop the transfer, and is logged', async () => {
    const warnings: string[] = [];
    const { dialog, promise } = await start({
      onProgress: () => {
        throw new Error('UI bug');
      },
      logger: { warn: (message) => warnings.push(message) },
    });
    dialog.lastRefer.respond(202, 'Accepted');
    expect(dialog.referNotify(dialog.lastRefer.cseq, 180, 'Ringing').status).toBe(200);
    dialog.referNotify(dialog.lastRefer.cseq, 200, 'OK');
    expect((await promise).kind).toBe('succeeded');
    expect(warnings.length).toBeGreaterThanOrEqual(2);
  });

  it('the global timers are used by default and cleared', async () => {
    const dialog = new FakeDialog();
    const promise = transfer(dialog, TARGET, { notifyTimeoutMs: 50 });
    await flush();
    dialog.lastRefer.respond(202, 'Accepted');
    expect((await promise).kind).toBe('timedOut');
  });
});
