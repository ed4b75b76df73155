import type { TransferProgress } from '@referkit/core';
import { SessionState } from 'sip.js';
import type { Invitation, UserAgent } from 'sip.js';
import { plivoProfile, toTrunkReferVerdict, validateReferTo } from '@referkit/validators';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canHangUp, hangUp, transfer, TransferError } from '../../src/index.js';
import {
  AGENT,
  BUSY,
  DECLINE,
  DOMAIN,
  NO_ANSWER,
  byNumber,
  connects,
  placeCall,
  referToValues,
  sessionState,
  startTrunk,
  startUserAgent,
  targetFails,
} from './harness.js';
import type { Trunk } from './harness.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let protocol: 'udp' | 'tcp' = 'udp';

async function setup(): Promise<{ trunk: Trunk; ua: UserAgent; contact: string }> {
  const trunk = await startTrunk(protocol);
  cleanups.push(() => trunk.stack.close());
  const agent = await startUserAgent(trunk);
  cleanups.push(() => agent.stop());
  return { trunk, ua: agent.userAgent, contact: agent.contact };
}

describe.each(['udp', 'tcp'] as const)('transfer() on an outbound call (Inviter) over %s', (transport) => {
  beforeEach(() => {
    protocol = transport;
  });

  it('sends REFER with a bracketed Refer-To and Referred-By, answers NOTIFY 100/180/200 with 200, resolves succeeded', async () => {
    const { trunk, ua, contact } = await setup();
    const session = await placeCall(ua);
    const progress: TransferProgress[] = [];
    const ended = sessionState(session, SessionState.Terminated);

    const result = await transfer(session, AGENT, {
      onProgress: (p) => progress.push(p),
      headers: { 'X-Reason': 'escalation' },
    });

    expect(result.kind).toBe('succeeded');
    expect(result).toMatchObject({ code: 200, attempts: [{ target: { uri: `sip:${AGENT}@${DOMAIN}` } }] });
    expect(progress.map((p) => p.kind)).toEqual(['accepted', 'trying', 'ringing']);
    const refer = trunk.refers[0];
    expect(refer).toBeDefined();
    if (refer === undefined) return;
    expect(referToValues(refer)).toEqual([`<sip:${AGENT}@${DOMAIN}>`]);
    expect(refer.header('Referred-By')).toBe(`<sip:agent@${DOMAIN}>`);
    expect(refer.header('X-Reason')).toBe('escalation');
    expect(refer.header('Contact')).toBe(`<${contact}>`);
    expect(await trunk.answers(3)).toEqual([200, 200, 200]);
    // The trunk hangs up our leg after NOTIFY 200; the endpoint never sent BYE.
    await ended;
    expect(trunk.received).toEqual(['REFER']);
    expect(trunk.errors).toEqual([]);
  });

  it.each([
    [BUSY, 486],
    [DECLINE, 603],
    [NO_ANSWER, 408],
  ])('target %s fails with NOTIFY %i: resolves failed, the call stays up', async (number, code) => {
    const { trunk, ua } = await setup();
    trunk.onRefer = targetFails(code);
    const session = await placeCall(ua);

    const result = await transfer(session, number);

    expect(result).toMatchObject({ kind: 'failed', code });
    expect(session.state).toBe(SessionState.Established);
    expect(canHangUp(session)).toBe(true);
    expect(await trunk.answers(3)).toEqual([200, 200, 200]);
    // The caller is kept: hanging up is now allowed and goes out as a normal BYE.
    await hangUp(session);
    await trunk.waitFor('BYE');
    expect(trunk.received).toEqual(['REFER', 'BYE']);
  });

  it('walks the hunt list: a busy first target, then the second connects; NOTIFY ids follow each CSeq', async () => {
    const { trunk, ua } = await setup();
    trunk.onRefer = byNumber({ [BUSY]: targetFails(486) }, connects);
    const session = await placeCall(ua);
    const progress: string[] = [];

    const result = await transfer(session, [BUSY, { uri: AGENT, timeoutMs: 20_000 }], {
      onProgress: (p) => progress.push(p.kind),
    });

    expect(result.kind).toBe('succeeded');
    expect(result.attempts.map((a) => [a.target.uri, a.outcome.kind])).toEqual([
      [`sip:${BUSY}@${DOMAIN}`, 'failed'],
      [`sip:${AGENT}@${DOMAIN}`, 'succeeded'],
    ]);
    expect(progress).toEqual([
      'accepted',
      'trying',
      'ringing',
      'attemptEnded',
      'accepted',
      'trying',
      'ringing',
    ]);
    const cseqs = trunk.refers.map((r) => Number.parseInt(r.header('CSeq') ?? '', 10));
    expect(cseqs).toHaveLength(2);
    expect(result.attempts.map((a) => a.cseq)).toEqual(cseqs);
    expect(await trunk.answers(6)).toEqual([200, 200, 200, 200, 200, 200]);
  });

  it('with validate: false sends what it is given; a Plivo-like trunk answers 403 / 400 and the call stays up', async () => {
    const { trunk, ua } = await setup();
    // The trunk checks Refer-To the way Plivo does.
    const profile = plivoProfile({ terminationDomain: DOMAIN });
    trunk.onRefer = (ctx) => {
      const verdict = toTrunkReferVerdict(validateReferTo(referToValues(ctx.request), profile));
      if (verdict.ok) void connects(ctx);
      else ctx.request.respond(verdict.status, verdict.reason);
    };
    const session = await placeCall(ua);

    const privateIp = await transfer(session, 'sip:+14155550101@10.0.0.7', { validate: false });
    expect(privateIp).toMatchObject({ kind: 'rejected', code: 403 });
    const notE164 = await transfer(session, `sip:agent@${DOMAIN}`, { validate: false });
    expect(notE164).toMatchObject({ kind: 'rejected', code: 400 });
    expect(trunk.refers.map((r) => referToValues(r))).toEqual([
      ['<sip:+14155550101@10.0.0.7>'],
      [`<sip:agent@${DOMAIN}>`],
    ]);
    expect(session.state).toBe(SessionState.Established);
    expect(canHangUp(session)).toBe(true);
  });

  it('refuses an invalid target before sending anything (typed error with the 403 verdict)', async () => {
    const { trunk, ua } = await setup();
    const session = await placeCall(ua);

    const error = await transfer(session, 'sip:+14155550101@10.0.0.7').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransferError);
    expect(error).toMatchObject({
      code: 'INVALID_TARGET',
      referToError: { code: 'PRIVATE_ADDRESS', status: 403 },
    });
    const notE164 = await transfer(session, `sip:agent@${DOMAIN}`).catch((e: unknown) => e);
    expect(notE164).toMatchObject({
      code: 'INVALID_TARGET',
      referToError: { code: 'NOT_E164', status: 400 },
    });
    expect(trunk.refers).toHaveLength(0);
    expect(session.state).toBe(SessionState.Established);
  });

  it('times out when the trunk sends 202 and no NOTIFY; the call stays up and a late NOTIFY gets 481', async () => {
    const { trunk, ua } = await setup();
    let late: ((code: number) => Promise<number>) | undefined;
    trunk.onRefer = (ctx) => {
      ctx.request.respond(202);
      late = (code) => ctx.notify(code, { state: 'terminated' });
    };
    const session = await placeCall(ua);

    const result = await transfer(session, AGENT, { notifyTimeoutMs: 300 });

    expect(result.kind).toBe('timedOut');
    expect(session.state).toBe(SessionState.Established);
    expect(await late?.(200)).toBe(481);
  });

  it('ends cancelled (remote) when the trunk hangs up mid-transfer', async () => {
    const { trunk, ua } = await setup();
    trunk.onRefer = async (ctx) => {
      ctx.request.respond(202);
      await ctx.notify(100);
      await ctx.dialog.request('BYE').response;
    };
    const session = await placeCall(ua);

    const result = await transfer(session, AGENT);

    expect(result).toMatchObject({ kind: 'cancelled', by: 'remote' });
    expect(session.state).toBe(SessionState.Terminated);
  });

  it('refuses session.bye() before the 2xx NOTIFY; with allowEarlyHangup the BYE goes out and the transfer is cancelled', async () => {
    const { trunk, ua } = await setup();
    let finish: (() => Promise<void>) | undefined;
    const ringing = new Promise<void>((resolve) => {
      trunk.onRefer = async (ctx) => {
        ctx.request.respond(202);
        await ctx.notify(180);
        finish = async () => {
          await ctx.notify(200, { state: 'terminated' });
        };
        resolve();
      };
    });
    const session = await placeCall(ua);
    const pending = transfer(session, AGENT);
    await ringing;

    expect(canHangUp(session)).toBe(false);
    await expect(session.bye()).rejects.toMatchObject({ code: 'HANG_UP_BEFORE_FINAL_NOTIFY' });
    await expect(hangUp(session)).rejects.toBeInstanceOf(TransferError);
    await finish?.();
    expect((await pending).kind).toBe('succeeded');
    expect(trunk.received).toEqual(['REFER']);

    // Opt-in: the early BYE is sent (this drops the caller on Plivo) and the outcome says so.
    const second = await setup();
    second.trunk.onRefer = async (ctx) => {
      ctx.request.respond(202);
      await ctx.notify(180);
    };
    const call = await placeCall(second.ua);
    const inFlight = transfer(call, AGENT, { allowEarlyHangup: true });
    await second.trunk.waitFor('REFER');
    await new Promise((resolve) => setImmediate(resolve));
    await hangUp(call);
    expect(await inFlight).toMatchObject({ kind: 'cancelled', by: 'local' });
    await second.trunk.waitFor('BYE');
  });

  it('stops following the transfer on AbortSignal: cancelled, later NOTIFYs answered 481, no BYE', async () => {
    const { trunk, ua } = await setup();
    let notify: ((code: number) => Promise<number>) | undefined;
    const accepted = new Promise<void>((resolve) => {
      trunk.onRefer = (ctx) => {
        ctx.request.respond(202);
        notify = (code) => ctx.notify(code);
        resolve();
      };
    });
    const session = await placeCall(ua);
    const controller = new AbortController();
    const pending = transfer(session, AGENT, { signal: controller.signal });
    await accepted;
    controller.abort();

    expect(await pending).toMatchObject({ kind: 'cancelled', by: 'local' });
    expect(await notify?.(180)).toBe(481);
    expect(session.state).toBe(SessionState.Established);
    expect(trunk.received).toEqual(['REFER']);
    // An already aborted signal sends nothing.
    expect(await transfer(session, AGENT, { signal: AbortSignal.abort() })).toMatchObject({
      kind: 'cancelled',
    });
    expect(trunk.refers).toHaveLength(1);
  });

  it('matches a NOTIFY that arrives before the 202 and answers a NOTIFY with a foreign id 481', async () => {
    const { trunk, ua } = await setup();
    trunk.onRefer = async (ctx) => {
      expect(await ctx.notify(100)).toBe(200);
      expect(await ctx.notify(180, { id: '999' })).toBe(481);
      ctx.request.respond(202);
      await ctx.notify(200, { state: 'terminated' });
    };
    const session = await placeCall(ua);

    const result = await transfer(session, AGENT);
    expect(result.kind).toBe('succeeded');
    expect(await trunk.answers(3)).toEqual([200, 481, 200]);
    expect(trunk.errors).toEqual([]);
  });

  it('hangUpOnSuccess sends BYE right after the 2xx NOTIFY; display name and referredBy: false shape the REFER', async () => {
    const { trunk, ua } = await setup();
    trunk.onRefer = async (ctx) => {
      ctx.request.respond(202);
      await ctx.notify(200, { state: 'terminated' });
    };
    const session = await placeCall(ua);
    const ended = sessionState(session, SessionState.Terminated);

    const result = await transfer(
      session,
      { uri: AGENT, displayName: 'Support "L2"' },
      {
        hangUpOnSuccess: true,
        referredBy: false,
      },
    );

    expect(result.kind).toBe('succeeded');
    await trunk.waitFor('BYE');
    await ended;
    const refer = trunk.refers[0]!;
    expect(referToValues(refer)).toEqual([`"Support \\"L2\\"" <sip:${AGENT}@${DOMAIN}>`]);
    expect(refer.header('Referred-By')).toBeUndefined();
    expect(trunk.received).toEqual(['REFER', 'BYE']);
  });

  it('passes NOTIFYs of other event packages to the session delegate while a transfer runs', async () => {
    const { trunk, ua } = await setup();
    let other: (() => Promise<number>) | undefined;
    let finish: (() => Promise<number>) | undefined;
    const accepted = new Promise<void>((resolve) => {
      trunk.onRefer = (ctx) => {
        ctx.request.respond(202);
        other = async () =>
          (
            await ctx.dialog.request('NOTIFY', {
              headers: { Event: 'dialog', 'Subscription-State': 'active', 'Content-Type': 'text/plain' },
              body: 'hello',
            }).response
          ).status;
        finish = () => ctx.notify(200, { state: 'terminated' });
        resolve();
      };
    });
    const session = await placeCall(ua);
    const seen: string[] = [];
    session.delegate = {
      onNotify: (notification) => {
        seen.push(notification.request.getHeader('event') ?? '');
        void notification.reject({ statusCode: 489, reasonPhrase: 'Bad Event' });
      },
    };
    const pending = transfer(session, AGENT);
    await accepted;

    expect(await other?.()).toBe(489);
    expect(seen).toEqual(['dialog']);
    expect(await finish?.()).toBe(200);
    expect((await pending).kind).toBe('succeeded');
  });

  it('answers a NOTIFY with an unreadable Subscription-State 400 and keeps following the transfer', async () => {
    const { trunk, ua } = await setup();
    trunk.onRefer = async (ctx) => {
      ctx.request.respond(202);
      expect(await ctx.notify(180, { headers: { 'Subscription-State': ';;' } })).toBe(400);
      await ctx.notify(200, { state: 'terminated' });
    };
    const session = await placeCall(ua);

    expect((await transfer(session, AGENT)).kind).toBe('succeeded');
    expect(await trunk.answers(2)).toEqual([400, 200]);
    expect(trunk.errors).toEqual([]);
  });

  it('resolves unverified on 202 with Refer-Sub: false', async () => {
    const { trunk, ua } = await setup();
    trunk.onRefer = (ctx) => {
      ctx.request.respond(202, 'Accepted', { headers: { 'Refer-Sub': 'false' } });
    };
    const session = await placeCall(ua);
    expect((await transfer(session, AGENT)).kind).toBe('unverified');
  });

  it('refuses a second transfer while one is in flight and bad input with typed errors', async () => {
    const { trunk, ua } = await setup();
    let finish: (() => Promise<number>) | undefined;
    const accepted = new Promise<void>((resolve) => {
      trunk.onRefer = (ctx) => {
        ctx.request.respond(202);
        finish = () => ctx.notify(603, { state: 'terminated' });
        resolve();
      };
    });
    const session = await placeCall(ua);
    const first = transfer(session, AGENT);
    await accepted;
    await expect(transfer(session, AGENT)).rejects.toMatchObject({ code: 'TRANSFER_IN_PROGRESS' });
    await expect(transfer(session, [])).rejects.toMatchObject({ code: 'NO_TARGETS' });
    await expect(transfer(session, AGENT, { headers: { 'Refer-To': '<sip:x@y>' } })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(transfer(session, AGENT, { headers: { 'X-A': 'a\r\nBye: now' } })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(transfer(session, AGENT, { notifyTimeoutMs: -1 })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(transfer(session, { uri: AGENT, timeoutMs: Number.NaN })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await finish?.();
    expect((await first).kind).toBe('failed');
    expect(trunk.refers).toHaveLength(1);
  });
});

describe.each(['udp', 'tcp'] as const)('transfer() on an inbound call (Invitation) over %s', (transport) => {
  it('transfers a call the trunk placed to the endpoint', async () => {
    const trunk = await startTrunk(transport);
    cleanups.push(() => trunk.stack.close());
    let invitation: Invitation | undefined;
    const agent = await startUserAgent(trunk, (incoming) => {
      invitation = incoming;
      void incoming.accept();
    });
    cleanups.push(() => agent.stop());

    expect(await trunk.call(agent.transport.advertised?.port ?? 0)).toBe(200);
    if (invitation === undefined) throw new Error('no invitation');
    await sessionState(invitation, SessionState.Established);

    const result = await transfer(invitation, AGENT);
    expect(result.kind).toBe('succeeded');
    // The domain came from the dialog's remote URI (the trunk's From).
    expect(referToValues(trunk.refers[0]!)).toEqual([`<sip:${AGENT}@${DOMAIN}>`]);
    expect(await trunk.answers(3)).toEqual([200, 200, 200]);
  });
});
