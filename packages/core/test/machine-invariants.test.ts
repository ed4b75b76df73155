import { describe, expect, it } from 'vitest';
import {
  canHangUp,
  initialTransferorState,
  initialTrunkTransferState,
  transferorTransition,
  trunkTransferTransition,
} from '../src/index.js';
import type {
  TransferorEvent,
  TransferorState,
  TrunkTransferEvent,
  TrunkTransferState,
} from '../src/index.js';

/** Small seeded PRNG (mulberry32) so every run replays the same sequences. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)] as T;
}

const uri = (n: number) => `sip:+1415555000${n}@abc123def456.zt.plivo.com`;

function transferorEvent(next: () => number): TransferorEvent {
  const id = pick(next, [undefined, 1, 2, 3, 4]);
  const code = pick(next, [100, 180, 183, 200, 202, 403, 408, 481, 486, 491, 503, 603]);
  switch (
    pick(next, ['transfer', 'referSent', 'referResponse', 'notify', 'timerFired', 'hangUp', 'dialogEnded'])
  ) {
    case 'transfer':
      return {
        type: 'transfer',
        options: {
          targets: [1, 2, 3].slice(0, 1 + Math.floor(next() * 3)).map((n) => ({ uri: uri(n) })),
          allowEarlyHangup: next() < 0.3,
          hangUpOnSuccess: next() < 0.3,
        },
      };
    case 'referSent':
      return { type: 'referSent', cseq: pick(next, [1, 2, 3, 4]) };
    case 'referResponse':
      return { type: 'referResponse', status: code, ...(next() < 0.2 ? { referSub: false } : {}) };
    case 'notify':
      return {
        type: 'notify',
        eventId: id,
        subscriptionState: pick(next, ['active', 'pending', 'terminated'] as const),
        sipfrag: next() < 0.1 ? undefined : { code, reason: 'x' },
      };
    case 'timerFired':
      return { type: 'timerFired', id: `refer-${pick(next, [1, 2, 3, 4])}` };
    case 'hangUp':
      return { type: 'hangUp' };
    default:
      return { type: 'dialogEnded', by: pick(next, ['local', 'remote'] as const) };
  }
}

function trunkEvent(next: () => number): TrunkTransferEvent {
  const referCseq = pick(next, [2, 3, 4]);
  switch (
    pick(next, [
      'refer',
      'targetRinging',
      'targetAnswered',
      'targetFailed',
      'transferorBye',
      'callerBye',
      'notifyFailed',
    ])
  ) {
    case 'refer':
      return {
        type: 'refer',
        cseq: referCseq,
        verdict:
          next() < 0.7
            ? { ok: true, target: uri(1) }
            : { ok: false, status: pick(next, [400, 403] as const), reason: 'no' },
      };
    case 'targetRinging':
      return { type: 'targetRinging', referCseq, status: pick(next, [180, 183]), reason: 'Ringing' };
    case 'targetAnswered':
      return { type: 'targetAnswered', referCseq };
    case 'targetFailed':
      return {
        type: 'targetFailed',
        referCseq,
        status: pick(next, [486, 408, 480, 603, 404, 503, 402]),
        reason: 'x',
      };
    case 'transferorBye':
      return { type: 'transferorBye' };
    case 'callerBye':
      return { type: 'callerBye' };
    default:
      return { type: 'notifyFailed', referCseq, status: pick(next, [408, 481, 500]) };
  }
}

const RUNS = 1000;
const STEPS = 40;

describe('transferor invariants over random event sequences', () => {
  // A thousand seeded runs each: on a loaded 2-core CI machine with coverage this takes tens of seconds.
  it('keeps timers, outcomes, NOTIFY answers and the hang-up guard consistent', { timeout: 120_000 }, () => {
    const outcomes = new Set<string>();
    for (let seed = 1; seed <= RUNS; seed++) {
      const next = random(seed);
      let state: TransferorState = initialTransferorState();
      let runningTimer: string | undefined;
      let inTransfer = false;
      for (let i = 0; i < STEPS; i++) {
        const event = transferorEvent(next);
        const before = state;
        const { state: after, effects } = transferorTransition(state, event);
        const where = `seed ${seed} step ${i} ${before.kind} + ${JSON.stringify(event)}`;
        // A fired timer is no longer running (the machine must not cancel it).
        if (event.type === 'timerFired' && event.id === runningTimer) runningTimer = undefined;
        for (const effect of effects) {
          if (effect.type === 'error') {
            // Only refusals: never an invalid move or invalid input for typed events.
            expect(
              ['UNEXPECTED_EVENT', 'TRANSFER_IN_PROGRESS', 'HANG_UP_BEFORE_FINAL_NOTIFY', 'DIALOG_ENDED'],
              where,
            ).toContain(effect.error.code);
            expect(after, where).toBe(before);
          }
          if (effect.type === 'startTimer') {
            expect(runningTimer, where).toBeUndefined();
            runningTimer = effect.id;
            inTransfer = true;
          }
          if (effect.type === 'cancelTimer') {
            expect(effect.id, where).toBe(runningTimer);
            runningTimer = undefined;
          }
          if (effect.type === 'outcome') {
            expect(inTransfer, where).toBe(true);
            inTransfer = false;
            outcomes.add(effect.outcome.kind);
          }
        }
        // Every NOTIFY gets exactly one answer.
        if (event.type === 'notify')
          expect(
            effects.filter((e) => e.type === 'answerNotify'),
            where,
          ).toHaveLength(1);
        // A timer runs exactly while a transfer is in flight.
        const inFlight = ['referring', 'accepted', 'trying', 'ringing'].includes(after.kind);
        expect(runningTimer !== undefined, where).toBe(inFlight);
        expect(inTransfer, where).toBe(inFlight);
        // hangUp is refused exactly when canHangUp says no (and the dialog is still up).
        if (event.type === 'hangUp') {
          const sentBye = effects.some((e) => e.type === 'sendBye');
          expect(sentBye, where).toBe(canHangUp(before));
        }
        state = after;
      }
    }
    // The sequences reach every outcome, so the checks above are not vacuous.
    expect([...outcomes].sort()).toEqual([
      'cancelled',
      'failed',
      'rejected',
      'succeeded',
      'timedOut',
      'unverified',
    ]);
  });
});

describe('trunk-side invariants over random event sequences', () => {
  it(
    'answers every REFER once, terminates each subscription once and never leaks ring-back',
    { timeout: 120_000 },
    () => {
      const moves = new Set<string>();
      for (let seed = 1; seed <= RUNS; seed++) {
        const next = random(seed);
        let state: TrunkTransferState = initialTrunkTransferState();
        let ringback = false;
        const terminated = new Set<number>();
        const accepted = new Set<number>();
        for (let i = 0; i < STEPS; i++) {
          const event = trunkEvent(next);
          const before = state;
          const { state: after, effects } = trunkTransferTransition(state, event);
          const where = `seed ${seed} step ${i} ${before.kind} + ${JSON.stringify(event)}`;
          expect(
            effects.filter((e) => e.type === 'error'),
            where,
          ).toEqual([]);
          if (event.type === 'refer') {
            const answers = effects.filter((e) => e.type === 'respondRefer');
            expect(answers, where).toHaveLength(1);
            // A CSeq reused after a finished transfer is a new REFER in this model.
            if (answers[0]?.status === 202) terminated.delete(event.cseq);
            if (answers[0]?.status === 202) accepted.add(event.cseq);
          }
          for (const effect of effects) {
            if (effect.type === 'sendNotify') {
              expect(accepted.has(effect.eventId), where).toBe(true);
              expect(terminated.has(effect.eventId), where).toBe(false);
              if (effect.subscriptionState === 'terminated') terminated.add(effect.eventId);
            }
            if (effect.type === 'ringback') {
              expect(ringback, where).toBe(effect.action === 'stop');
              ringback = effect.action === 'start';
            }
          }
          expect(ringback, where).toBe(after.kind === 'ringing');
          moves.add(`${before.kind}>${after.kind}`);
          // Leaving calling/ringing always ends the subscription with a final NOTIFY, unless the
          // transferor itself hung up (there is no one left to notify).
          if (
            (before.kind === 'calling' || before.kind === 'ringing') &&
            after.kind !== before.kind &&
            after.kind !== 'ringing'
          ) {
            if (event.type !== 'transferorBye')
              expect(terminated.has(before.transfer.referCseq), where).toBe(true);
          }
          state = after;
        }
      }
      for (const move of [
        'connected>calling',
        'calling>ringing',
        'ringing>transferred',
        'ringing>connected',
        'calling>ended',
        'ringing>ended',
        'transferred>ended',
      ]) {
        expect(moves.has(move), move).toBe(true);
      }
    },
  );
});
