// Timer hygiene of transfer(), checked deterministically: a scripted SIP.js session (no network;
// the wire behaviour is covered by transfer.test.ts and the SIPp suite) and vitest's fake timers.
import type { TransferOutcome } from '@referkit/core';
import { EmitterImpl, SessionState, UserAgent } from 'sip.js';
import type { Core, Notification, Session } from 'sip.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { transfer } from '../../src/index.js';

const DOMAIN = 'lab0000000000.zt.plivo.com';

/** The parts of a SIP.js Session that transfer() uses, driven by the test. */
class ScriptedSession {
  state = SessionState.Established;
  readonly stateChange = new EmitterImpl<SessionState>();
  readonly dialog = {};
  delegate = undefined;
  readonly userAgent = { contact: { toString: () => '<sip:agent@127.0.0.1:5060;transport=udp>' } };
  readonly localIdentity = { uri: UserAgent.makeURI(`sip:agent@${DOMAIN}`) };
  readonly remoteIdentity = { uri: UserAgent.makeURI(`sip:+14155550100@${DOMAIN}`) };
  readonly refers: { headers: string[]; delegate: Core.OutgoingRequestDelegate }[] = [];
  onNotify: ((notification: Notification) => void) | undefined;
  #cseq = 1;

  _refer(
    onNotify: (notification: Notification) => void,
    delegate: Core.OutgoingRequestDelegate,
    options: { extraHeaders: string[] },
  ): Promise<{ message: { cseq: number } }> {
    this.onNotify = onNotify;
    this.refers.push({ headers: options.extraHeaders, delegate });
    this.#cseq += 1;
    return Promise.resolve({ message: { cseq: this.#cseq } });
  }

  bye(): Promise<unknown> {
    return this._bye();
  }

  _bye(): Promise<unknown> {
    this.end();
    return Promise.resolve({});
  }

  end(): void {
    this.state = SessionState.Terminated;
    this.stateChange.emit(SessionState.Terminated);
  }

  respond(status: number): void {
    const message = { statusCode: status, reasonPhrase: 'R', getHeader: () => undefined };
    const delegate = this.refers.at(-1)?.delegate;
    const response = { message } as unknown as Core.IncomingResponse;
    if (status < 300) delegate?.onAccept?.(response);
    else delegate?.onReject?.(response);
  }

  /** Delivers a NOTIFY for the last REFER; resolves with the status it was answered with. */
  notify(code: number, state: 'active' | 'terminated'): number | undefined {
    let answer: number | undefined;
    const headers: Record<string, string> = {
      event: `refer;id=${this.#cseq}`,
      'subscription-state': state,
      'content-type': 'message/sipfrag',
    };
    const notification = {
      request: { getHeader: (name: string) => headers[name], body: `SIP/2.0 ${code} X\r\n` },
      accept: () => {
        answer = 200;
        return Promise.resolve();
      },
      reject: (options: { statusCode: number }) => {
        answer = options.statusCode;
        return Promise.resolve();
      },
    } as unknown as Notification;
    this.onNotify?.(notification);
    return answer;
  }
}

async function started(
  targets: readonly string[],
  options: Parameters<typeof transfer>[2] = {},
): Promise<{ session: ScriptedSession; result: Promise<TransferOutcome> }> {
  const session = new ScriptedSession();
  const result = transfer(session as unknown as Session, targets, options);
  await vi.advanceTimersByTimeAsync(0); // the REFER's CSeq is reported in a microtask
  return { session, result };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('transfer() leaves no timer behind', () => {
  it('one budget timer while in flight, none after success', async () => {
    const { session, result } = await started(['+14155550101']);
    session.respond(202);
    expect(vi.getTimerCount()).toBe(1);
    expect(session.notify(180, 'active')).toBe(200);
    expect(session.notify(200, 'terminated')).toBe(200);
    expect((await result).kind).toBe('succeeded');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a hunt list of timeouts keeps one timer at a time and ends with none', async () => {
    const { session, result } = await started(['+14155550101', '+14155550105'], { notifyTimeoutMs: 1000 });
    session.respond(202);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(session.refers).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(1);
    session.respond(202);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await result).toMatchObject({ kind: 'timedOut' });
    expect(vi.getTimerCount()).toBe(0);
    // A NOTIFY for the first, timed-out REFER is refused.
    expect(session.notify(200, 'terminated')).toBe(481);
  });

  it.each([
    ['a rejected REFER', (s: ScriptedSession) => s.respond(403), 'rejected'],
    ['the trunk hanging up', (s: ScriptedSession) => s.end(), 'cancelled'],
    [
      'Refer-Sub: false style unverified (terminated without a final status)',
      (s: ScriptedSession) => {
        s.respond(202);
        s.notify(100, 'terminated');
      },
      'unverified',
    ],
  ] as const)('none after %s', async (_what, act, kind) => {
    const { session, result } = await started(['+14155550101']);
    act(session);
    expect((await result).kind).toBe(kind);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('none after an abort, and a later response changes nothing', async () => {
    const controller = new AbortController();
    const { session, result } = await started(['+14155550101'], { signal: controller.signal });
    controller.abort();
    expect(await result).toMatchObject({ kind: 'cancelled', by: 'local' });
    expect(vi.getTimerCount()).toBe(0);
    session.respond(202);
    expect(vi.getTimerCount()).toBe(0);
  });
});
