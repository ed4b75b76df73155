import { describe, expect, it } from 'vitest';
import {
  DEFAULT_NOTIFY_TIMEOUT_MS,
  SIP_T1_MS,
  TRANSFEROR_TRANSITIONS,
  TRUNK_TRANSFER_TRANSITIONS,
  canHangUp,
  checkTransition,
  createTransferor,
  createTrunkTransfer,
  initialTransferorState,
  initialTrunkTransferState,
  transferorTransition,
  trunkTransferTransition,
} from '../src/index.js';
import type { TransferorState, TrunkTransferStateKind } from '../src/index.js';
import { guardTransition, invalidInput, kindOf } from '../src/transition-error.js';

const target = { uri: 'sip:+14155551234@abc123def456.zt.plivo.com' };

function stateAfter(
  events: Parameters<typeof transferorTransition>[1][],
  options = { targets: [target] },
): TransferorState {
  let state = transferorTransition(initialTransferorState(), { type: 'transfer', options }).state;
  for (const event of events) state = transferorTransition(state, event).state;
  return state;
}

describe('canHangUp', () => {
  it('forbids BYE before a 2xx NOTIFY unless allowEarlyHangup', () => {
    expect(canHangUp(initialTransferorState())).toBe(true);
    expect(canHangUp(stateAfter([]))).toBe(false);
    expect(
      canHangUp(
        stateAfter([
          { type: 'referSent', cseq: 1 },
          { type: 'referResponse', status: 202 },
        ]),
      ),
    ).toBe(false);
    expect(canHangUp(stateAfter([], { targets: [target], allowEarlyHangup: true } as never))).toBe(true);
    const done = stateAfter([
      { type: 'referSent', cseq: 1 },
      { type: 'notify', eventId: 1, subscriptionState: 'terminated', sipfrag: { code: 200, reason: 'OK' } },
    ]);
    expect(done.kind).toBe('done');
    expect(canHangUp(done)).toBe(true);
    expect(canHangUp({ kind: 'ended', refersSent: 1 })).toBe(false);
    expect(canHangUp({ kind: 'weird' } as unknown as TransferorState)).toBe(false);
  });
});

describe('transition tables', () => {
  it('names from and to on a move outside the table', () => {
    expect(checkTransition(TRANSFEROR_TRANSITIONS, 'ended', 'referring', 'transfer')).toEqual({
      code: 'INVALID_TRANSITION',
      from: 'ended',
      to: 'referring',
      event: 'transfer',
      message: "invalid transition from 'ended' to 'referring' on 'transfer'",
    });
    expect(
      checkTransition(TRUNK_TRANSFER_TRANSITIONS, 'calling', 'ringing', 'targetRinging'),
    ).toBeUndefined();
    expect(checkTransition(TRUNK_TRANSFER_TRANSITIONS, 'ended', 'ended', 'callerBye')).toBeUndefined();
    expect(checkTransition(TRUNK_TRANSFER_TRANSITIONS, 'weird' as 'ended', 'calling', 'refer')?.code).toBe(
      'INVALID_TRANSITION',
    );
  });

  it('keeps the old state and returns only an error effect when a computed move is not allowed', () => {
    const from: { kind: TrunkTransferStateKind } = { kind: 'transferred' };
    const result = guardTransition(
      TRUNK_TRANSFER_TRANSITIONS,
      from,
      'refer',
      { state: { kind: 'calling' }, effects: ['x'] },
      (error) => error.code,
    );
    expect(result).toEqual({ state: from, effects: ['INVALID_TRANSITION'] });
  });

  it('never throws, even on null state or event', () => {
    expect(transferorTransition(null as never, { type: 'hangUp' })).toMatchObject({
      state: null,
      effects: [{ type: 'error', error: { code: 'INVALID_INPUT', from: 'undefined', event: 'hangUp' } }],
    });
    expect(trunkTransferTransition(initialTrunkTransferState(), null as never)).toMatchObject({
      state: { kind: 'connected' },
      effects: [{ type: 'error', error: { code: 'INVALID_INPUT', from: 'connected', event: 'undefined' } }],
    });
  });

  it('describes garbage input without throwing', () => {
    expect(invalidInput({ kind: 'x' }, 'ev', 1 as never)).toMatchObject({
      code: 'INVALID_INPUT',
      from: 'x',
      event: 'ev',
    });
    expect(kindOf(null, 'kind')).toBe('undefined');
    expect(kindOf({ kind: 3 }, 'kind')).toBe('3');
  });
});

describe('runners', () => {
  it('drives the transferor through a successful transfer', () => {
    const t = createTransferor();
    expect(t.state.kind).toBe('idle');
    const effects = t.send({ type: 'transfer', options: { targets: [target] } });
    expect(effects).toEqual([
      {
        type: 'sendRefer',
        referTo: `<${target.uri}>`,
        referredBy: undefined,
        headers: {},
        target,
        attempt: 0,
      },
      { type: 'startTimer', id: 'refer-1', ms: DEFAULT_NOTIFY_TIMEOUT_MS },
    ]);
    expect(DEFAULT_NOTIFY_TIMEOUT_MS).toBe(64 * SIP_T1_MS);
    t.send({ type: 'referSent', cseq: 7 });
    t.send({ type: 'referResponse', status: 202 });
    expect(t.state.kind).toBe('accepted');
    const last = t.send({
      type: 'notify',
      eventId: 7,
      subscriptionState: 'terminated',
      sipfrag: { code: 200, reason: 'OK' },
    });
    expect(last.map((e) => e.type)).toEqual(['answerNotify', 'cancelTimer', 'outcome']);
    expect(t.state).toMatchObject({ kind: 'done', outcome: { kind: 'succeeded' } });
  });

  it('drives the trunk side and can start from a given state', () => {
    const trunk = createTrunkTransfer();
    expect(trunk.state).toEqual({ kind: 'connected', transfers: 0 });
    const effects = trunk.send({ type: 'refer', cseq: 2, verdict: { ok: true, target: target.uri } });
    expect(effects.map((e) => e.type)).toEqual(['respondRefer', 'sendNotify', 'placeLeg']);
    expect(trunk.state.kind).toBe('calling');
    expect(createTrunkTransfer(initialTrunkTransferState(3)).state).toEqual({
      kind: 'connected',
      transfers: 3,
    });
    expect(createTransferor({ kind: 'ended', refersSent: 2 }).send({ type: 'hangUp' })).toMatchObject([
      { type: 'error', error: { code: 'DIALOG_ENDED' } },
    ]);
  });
});
