import { describe, expect, it } from 'vitest';
import { canHangUp, hangUp, transfer } from '../src/index.js';
import { incoming, realDialog } from './drachtio-lib.js';
import type { RealDialog, WireAgent } from './drachtio-lib.js';
import { ManualTimers, flush } from './fake-dialog.js';

/** The adapter on drachtio-srf 5.0.29's real Dialog class, only the link to drachtio-server faked. */

const TARGET = 'sip:+14155550101@lab.zt.plivo.com';

function referNotify(
  dialog: RealDialog,
  agent: WireAgent,
  id: number,
  code: number,
  reason: string,
  final = code >= 200,
) {
  return incoming(
    dialog,
    agent,
    'NOTIFY',
    id + 100,
    {
      Event: `refer;id=${id}`,
      'Subscription-State': final ? 'terminated;reason=noresource' : 'active;expires=60',
      'Content-Type': 'message/sipfrag;version=2.0',
    },
    `SIP/2.0 ${code} ${reason}\r\n`,
  );
}

const notifyAnswers = (agent: WireAgent): number[] =>
  agent.answered.filter((a) => a.method === 'NOTIFY').map((a) => a.status);

describe('on drachtio-srf 5.0.29 itself', () => {
  it("dialog.refer() is the trap the adapter avoids: it throws 'this.request is not a function'", () => {
    const { dialog } = realDialog();
    expect(() => dialog.refer({ headers: { 'Refer-To': `<${TARGET}>` } })).toThrow(
      /request is not a function/,
    );
  });

  it('succeeded: REFER through Dialog#request with explicit headers, every NOTIFY answered 200', async () => {
    const { dialog, agent } = realDialog();
    const timers = new ManualTimers();
    const outcome = transfer(dialog, '+14155550101', { timers });
    await flush();
    const refer = agent.sent[0];
    expect(refer?.method).toBe('REFER');
    // Domain from the INVITE's To, Referred-By from its From, Contact from the dialog's local side.
    expect(refer?.headers).toEqual({
      'Refer-To': `<${TARGET}>`,
      'Referred-By': '<sip:agent@pbx.example.com>',
      Contact: '<sip:agent@127.0.0.1:5070>',
    });
    refer?.respond(100, 'Trying');
    refer?.respond(202, 'Accepted');
    const cseq = refer?.cseq ?? 0;
    referNotify(dialog, agent, cseq, 100, 'Trying');
    referNotify(dialog, agent, cseq, 180, 'Ringing');
    referNotify(dialog, agent, cseq, 200, 'OK');
    expect(await outcome).toMatchObject({ kind: 'succeeded', code: 200 });
    expect(notifyAnswers(agent)).toEqual([200, 200, 200]);
    expect(dialog.listenerCount('notify')).toBe(0);
    expect(timers.size).toBe(0);
    // The trunk's BYE ends the dialog; drachtio-srf answers it.
    incoming(dialog, agent, 'BYE', 300, {});
    expect(dialog.connected).toBe(false);
    expect(canHangUp(dialog)).toBe(false);
  });

  it('failed(486) then hangUp: the BYE goes out through Dialog#destroy', async () => {
    const { dialog, agent, removed } = realDialog();
    const outcome = transfer(dialog, TARGET, { timers: new ManualTimers() });
    await flush();
    const refer = agent.sent[0];
    refer?.respond(202, 'Accepted');
    await expect(hangUp(dialog)).rejects.toMatchObject({ code: 'HANG_UP_BEFORE_FINAL_NOTIFY' });
    referNotify(dialog, agent, refer?.cseq ?? 0, 486, 'Busy Here');
    expect(await outcome).toMatchObject({ kind: 'failed', code: 486 });
    expect(dialog.connected).toBe(true);
    await hangUp(dialog);
    expect(agent.sent.map((r) => r.method)).toEqual(['REFER', 'BYE']);
    expect(dialog.connected).toBe(false);
    expect(removed()).toBeGreaterThan(0);
  });

  it('a NOTIFY that beats the 202 is answered once the CSeq is known', async () => {
    const { dialog, agent } = realDialog();
    const outcome = transfer(dialog, TARGET, { timers: new ManualTimers() });
    await flush();
    const refer = agent.sent[0];
    const early = referNotify(dialog, agent, refer?.cseq ?? 0, 180, 'Ringing');
    expect(early.finalResponseSent).toBe(false);
    refer?.respond(202, 'Accepted');
    expect(early.finalResponseSent).toBe(true);
    referNotify(dialog, agent, refer?.cseq ?? 0, 200, 'OK');
    expect((await outcome).kind).toBe('succeeded');
    expect(notifyAnswers(agent)).toEqual([200, 200]);
  });

  it("cancelled(remote): the far end's BYE while the transfer rings", async () => {
    const { dialog, agent } = realDialog();
    const timers = new ManualTimers();
    const outcome = transfer(dialog, TARGET, { timers });
    await flush();
    agent.sent[0]?.respond(202, 'Accepted');
    incoming(dialog, agent, 'BYE', 300, {});
    expect(await outcome).toMatchObject({ kind: 'cancelled', by: 'remote' });
    expect(timers.size).toBe(0);
  });

  it('cancelled(local): the application calls dialog.destroy() itself (no event from drachtio-srf)', async () => {
    const { dialog, agent } = realDialog();
    const timers = new ManualTimers();
    const outcome = transfer(dialog, TARGET, { timers });
    await flush();
    agent.sent[0]?.respond(202, 'Accepted');
    dialog.destroy({ headers: {} }, () => undefined);
    expect(await outcome).toMatchObject({ kind: 'cancelled', by: 'local' });
    expect(timers.size).toBe(0);
  });

  it('a NOTIFY of another package is answered 200, as drachtio-srf does with no listener', async () => {
    const { dialog, agent } = realDialog();
    const outcome = transfer(dialog, TARGET, { timers: new ManualTimers() });
    await flush();
    incoming(dialog, agent, 'NOTIFY', 150, { Event: 'dialog', 'Subscription-State': 'active' });
    expect(notifyAnswers(agent)).toEqual([200]);
    agent.sent[0]?.respond(603, 'Decline');
    expect(await outcome).toMatchObject({ kind: 'rejected', code: 603 });
  });
});
