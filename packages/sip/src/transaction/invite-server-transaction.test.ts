import { describe, expect, it } from 'vitest';
import { InviteServerTransaction } from './invite-server-transaction.js';
import { ManualClock } from './manual-clock.js';
import { DEFAULT_TIMERS } from './timers.js';

function setup(reliable = false) {
  const clock = new ManualClock();
  const sent: [number, string][] = [];
  const errors: string[] = [];
  let acks = 0;
  const tx = new InviteServerTransaction<string>(
    { clock, timers: DEFAULT_TIMERS, reliable },
    {
      sendResponse: (r) => sent.push([clock.now(), r]),
      onAck: () => acks++,
      onError: (e) => errors.push(e.code),
      onTerminated: () => {},
    },
  );
  return { clock, tx, sent, errors, acks: () => acks };
}

describe('InviteServerTransaction (RFC 3261 17.2.1, RFC 6026)', () => {
  it('retransmitted INVITE in proceeding resends the last provisional', () => {
    const t = setup();
    t.tx.receiveRequest(); // nothing sent yet: nothing to resend
    t.tx.respond(100, '100');
    t.tx.respond(180, '180');
    t.tx.receiveRequest();
    expect(t.sent.map((s) => s[1])).toEqual(['100', '180', '180']);
  });

  it('300-699: Timer G doubles from T1 capped at T2 until Timer H (64*T1) informs the TU', () => {
    const t = setup();
    t.tx.respond(486, '486');
    expect(t.tx.state).toBe('completed');
    t.clock.advance(32_000);
    expect(t.sent.map((s) => s[0])).toEqual([
      0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500,
    ]);
    expect(t.tx.state).toBe('terminated');
    expect(t.errors).toEqual(['TRANSACTION_TIMEOUT']);
    expect(t.clock.pending).toBe(0);
  });

  it('ACK in completed -> confirmed; stops G and H; Timer I = T4; ACKs and INVITEs absorbed', () => {
    const t = setup();
    t.tx.respond(404, '404');
    t.clock.advance(500);
    t.tx.receiveAck();
    expect(t.tx.state).toBe('confirmed');
    t.tx.receiveAck();
    t.tx.receiveRequest();
    t.clock.advance(4999);
    expect(t.tx.state).toBe('confirmed');
    t.clock.advance(1);
    expect(t.tx.state).toBe('terminated');
    expect(t.sent.length).toBe(2);
    expect(t.errors).toEqual([]);
  });

  it('retransmitted INVITE in completed resends the final response', () => {
    const t = setup();
    t.tx.respond(486, '486');
    t.tx.receiveRequest();
    expect(t.sent.map((s) => s[1])).toEqual(['486', '486']);
  });

  it('2xx -> accepted: INVITEs absorbed, TU 2xx retransmissions sent, ACK to TU, Timer L = 64*T1', () => {
    const t = setup();
    t.tx.respond(200, '200');
    expect(t.tx.state).toBe('accepted');
    t.tx.receiveRequest();
    t.tx.respond(200, '200');
    t.tx.respond(486, 'ignored');
    t.tx.receiveAck();
    expect(t.sent.map((s) => s[1])).toEqual(['200', '200']);
    expect(t.acks()).toBe(1);
    t.clock.advance(31_999);
    expect(t.tx.state).toBe('accepted');
    t.clock.advance(1);
    expect(t.tx.state).toBe('terminated');
  });

  it('reliable transport: no Timer G; Timer I = 0', () => {
    const t = setup(true);
    t.tx.respond(500, '500');
    t.clock.advance(10_000);
    expect(t.sent.length).toBe(1);
    t.tx.receiveAck();
    t.clock.advance(0);
    expect(t.tx.state).toBe('terminated');
  });
});
