import { describe, expect, it } from 'vitest';
import { ManualClock } from './manual-clock.js';
import { NonInviteServerTransaction } from './non-invite-server-transaction.js';
import { DEFAULT_TIMERS } from './timers.js';

function setup(reliable = false) {
  const clock = new ManualClock();
  const sent: string[] = [];
  const errors: string[] = [];
  const tx = new NonInviteServerTransaction<string>(
    { clock, timers: DEFAULT_TIMERS, reliable },
    { sendResponse: (r) => sent.push(r), onError: (e) => errors.push(e.code), onTerminated: () => {} },
  );
  return { clock, tx, sent, errors };
}

describe('NonInviteServerTransaction (RFC 3261 17.2.2)', () => {
  it('trying discards retransmissions; proceeding resends the provisional', () => {
    const t = setup();
    t.tx.receiveRequest();
    expect(t.sent).toEqual([]);
    t.tx.respond(100, '100');
    expect(t.tx.state).toBe('proceeding');
    t.tx.receiveRequest();
    expect(t.sent).toEqual(['100', '100']);
  });

  it('final -> completed; retransmissions answered with the final; later finals discarded; Timer J = 64*T1', () => {
    const t = setup();
    t.tx.respond(200, '200');
    t.tx.receiveRequest();
    t.tx.respond(500, '500');
    expect(t.sent).toEqual(['200', '200']);
    t.clock.advance(31_999);
    expect(t.tx.state).toBe('completed');
    t.clock.advance(1);
    expect(t.tx.state).toBe('terminated');
    expect(t.clock.pending).toBe(0);
  });

  it('Timer J is zero on reliable transports', () => {
    const t = setup(true);
    t.tx.respond(200, '200');
    t.clock.advance(0);
    expect(t.tx.state).toBe('terminated');
  });

  it('a transport error terminates and informs the TU', () => {
    const clock = new ManualClock();
    const errors: string[] = [];
    const tx = new NonInviteServerTransaction<string>(
      { clock, timers: DEFAULT_TIMERS, reliable: false },
      {
        sendResponse: () => {
          throw new Error('boom');
        },
        onError: (e) => errors.push(e.code),
        onTerminated: () => {},
      },
    );
    tx.respond(200, '200');
    expect(tx.state).toBe('terminated');
    expect(errors).toEqual(['TRANSPORT_ERROR']);
  });
});
