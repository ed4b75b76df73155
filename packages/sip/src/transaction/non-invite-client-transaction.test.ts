import { describe, expect, it } from 'vitest';
import { ManualClock } from './manual-clock.js';
import { NonInviteClientTransaction } from './non-invite-client-transaction.js';
import { DEFAULT_TIMERS } from './timers.js';

function setup(reliable = false) {
  const clock = new ManualClock();
  const sends: number[] = [];
  const responses: number[] = [];
  const errors: string[] = [];
  const tx = new NonInviteClientTransaction<string>(
    { clock, timers: DEFAULT_TIMERS, reliable },
    {
      sendRequest: () => sends.push(clock.now()),
      onResponse: (s) => responses.push(s),
      onError: (e) => errors.push(e.code),
      onTerminated: () => {},
    },
  );
  return { clock, tx, sends, responses, errors };
}

describe('NonInviteClientTransaction (RFC 3261 17.1.2)', () => {
  it('Timer E doubles from T1 capped at T2; Timer F times out at 64*T1', () => {
    const t = setup();
    t.tx.start();
    t.clock.advance(32_000);
    // intervals 500, 1000, 2000, 4000, 4000, ...
    expect(t.sends).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(t.tx.state).toBe('terminated');
    expect(t.errors).toEqual(['TRANSACTION_TIMEOUT']);
    expect(t.clock.pending).toBe(0);
  });

  it('in proceeding, Timer E fires every T2', () => {
    const t = setup();
    t.tx.start();
    t.clock.advance(500); // retransmission at 500, next due at 1500
    t.tx.receiveResponse(100, 'trying');
    expect(t.tx.state).toBe('proceeding');
    t.clock.advance(10_000); // 1500 then every T2: 5500, 9500
    expect(t.sends).toEqual([0, 500, 1500, 5500, 9500]);
  });

  it('final response -> completed; retransmissions absorbed; Timer K = T4 on UDP', () => {
    const t = setup();
    t.tx.start();
    t.tx.receiveResponse(200, 'ok');
    t.tx.receiveResponse(200, 'ok');
    expect(t.responses).toEqual([200]);
    expect(t.tx.state).toBe('completed');
    t.clock.advance(4999);
    expect(t.tx.state).toBe('completed');
    t.clock.advance(1);
    expect(t.tx.state).toBe('terminated');
    expect(t.sends).toEqual([0]);
  });

  it('reliable transport: no retransmission, Timer K = 0', () => {
    const t = setup(true);
    t.tx.start();
    t.clock.advance(10_000);
    expect(t.sends).toEqual([0]);
    t.tx.receiveResponse(404, 'nf');
    t.clock.advance(0);
    expect(t.tx.state).toBe('terminated');
  });
});
