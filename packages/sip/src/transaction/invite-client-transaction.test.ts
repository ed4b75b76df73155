import { describe, expect, it } from 'vitest';
import { InviteClientTransaction } from './invite-client-transaction.js';
import { ManualClock } from './manual-clock.js';
import { DEFAULT_TIMERS } from './timers.js';
import type { TransactionError } from './transaction-error.js';

function setup(reliable = false) {
  const clock = new ManualClock();
  const sends: number[] = [];
  const acks: string[] = [];
  const responses: number[] = [];
  const errors: TransactionError[] = [];
  let terminated = 0;
  const tx = new InviteClientTransaction<string>(
    { clock, timers: DEFAULT_TIMERS, reliable },
    {
      sendRequest: () => sends.push(clock.now()),
      sendAck: (r) => acks.push(r),
      onResponse: (s) => responses.push(s),
      onError: (e) => errors.push(e),
      onTerminated: () => terminated++,
    },
  );
  return { clock, tx, sends, acks, responses, errors, terminated: () => terminated };
}

describe('InviteClientTransaction (RFC 3261 17.1.1)', () => {
  it('retransmits on Timer A doubling from T1 without cap until Timer B (64*T1) times out', () => {
    const t = setup();
    t.tx.start();
    t.clock.advance(64 * 500);
    // Sent at 0 then at 500, 1500, 3500, 7500, 15500, 31500 (intervals 500, 1000, ..., 16000).
    expect(t.sends).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(t.tx.state).toBe('terminated');
    expect(t.errors.map((e) => e.code)).toEqual(['TRANSACTION_TIMEOUT']);
    expect(t.errors[0]?.status).toBe(408);
    expect(t.terminated()).toBe(1);
    expect(t.clock.pending).toBe(0);
  });

  it('does not retransmit over a reliable transport but still times out on Timer B', () => {
    const t = setup(true);
    t.tx.start();
    t.clock.advance(31_999);
    expect(t.sends).toEqual([0]);
    expect(t.tx.state).toBe('calling');
    t.clock.advance(1);
    expect(t.tx.state).toBe('terminated');
  });

  it('1xx stops Timers A and B (Figure 5: B only guards calling); proceeding waits for the final', () => {
    const t = setup();
    t.tx.start();
    t.clock.advance(500);
    t.tx.receiveResponse(180, '180');
    expect(t.tx.state).toBe('proceeding');
    t.clock.advance(10_000);
    expect(t.sends).toEqual([0, 500]);
    t.tx.receiveResponse(183, '183');
    expect(t.responses).toEqual([180, 183]);
    t.clock.advance(120_000);
    expect(t.tx.state).toBe('proceeding');
    expect(t.errors).toEqual([]);
    expect(t.clock.pending).toBe(0);
    t.tx.receiveResponse(487, 'terminated');
    expect(t.tx.state).toBe('completed');
  });

  it('300-699 sends ACK, passes response once, re-ACKs retransmissions, Timer D = 32 s on UDP', () => {
    const t = setup();
    t.tx.start();
    t.tx.receiveResponse(486, 'busy');
    expect(t.tx.state).toBe('completed');
    expect(t.acks).toEqual(['busy']);
    t.tx.receiveResponse(486, 'busy-again');
    expect(t.acks).toEqual(['busy', 'busy-again']);
    expect(t.responses).toEqual([486]);
    t.clock.advance(31_999);
    expect(t.tx.state).toBe('completed');
    t.clock.advance(1);
    expect(t.tx.state).toBe('terminated');
    expect(t.errors).toEqual([]);
    expect(t.clock.pending).toBe(0);
  });

  it('Timer D is zero on reliable transports', () => {
    const t = setup(true);
    t.tx.start();
    t.tx.receiveResponse(603, 'decline');
    t.clock.advance(0);
    expect(t.tx.state).toBe('terminated');
  });

  it('2xx moves to accepted (RFC 6026), passes every 2xx retransmission to the TU until Timer M', () => {
    const t = setup();
    t.tx.start();
    t.tx.receiveResponse(100, 'trying');
    t.tx.receiveResponse(200, 'ok');
    expect(t.tx.state).toBe('accepted');
    t.tx.receiveResponse(200, 'ok');
    t.tx.receiveResponse(180, 'late');
    expect(t.responses).toEqual([100, 200, 200]);
    expect(t.acks).toEqual([]);
    t.clock.advance(64 * 500 - 1);
    expect(t.tx.state).toBe('accepted');
    t.clock.advance(1);
    expect(t.tx.state).toBe('terminated');
    expect(t.errors).toEqual([]);
  });

  it('honours configured T1', () => {
    const clock = new ManualClock();
    const sends: number[] = [];
    const tx = new InviteClientTransaction<string>(
      { clock, timers: { ...DEFAULT_TIMERS, t1: 100 }, reliable: false },
      {
        sendRequest: () => sends.push(clock.now()),
        sendAck: () => {},
        onResponse: () => {},
        onError: () => {},
        onTerminated: () => {},
      },
    );
    tx.start();
    clock.advance(6400);
    expect(sends).toEqual([0, 100, 300, 700, 1500, 3100, 6300]);
    expect(tx.state).toBe('terminated');
  });

  it('a transport error while calling terminates and informs the TU', () => {
    const clock = new ManualClock();
    const errors: string[] = [];
    const tx = new InviteClientTransaction<string>(
      { clock, timers: DEFAULT_TIMERS, reliable: false },
      {
        sendRequest: () => {
          throw new Error('EHOSTUNREACH');
        },
        sendAck: () => {},
        onResponse: () => {},
        onError: (e) => errors.push(e.code),
        onTerminated: () => {},
      },
    );
    tx.start();
    expect(tx.state).toBe('terminated');
    expect(errors).toEqual(['TRANSPORT_ERROR']);
    expect(clock.pending).toBe(0);
  });
});
