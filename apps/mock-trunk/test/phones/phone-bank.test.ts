import { ToneDetector, createToneSource, parseRtp } from '@referkit/media';
import { writePcapng } from '../../src/observe/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { MediaEvent, TrunkEvent } from '../../src/observe/types.js';
import {
  DEFAULT_PHONES,
  PhoneBankError,
  createRingbackSource,
  startPhoneBank,
} from '../../src/phones/index.js';
import type { PhoneBank, PhoneBankOptions, PhoneProfile } from '../../src/phones/index.js';
import { Uac, until } from './uac.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function setup(
  phones: PhoneBankOptions['phones'],
  host = '127.0.0.1',
): Promise<{ bank: PhoneBank; uac: Uac; events: TrunkEvent[] }> {
  const events: TrunkEvent[] = [];
  const bank = await startPhoneBank({ host, phones, onEvent: (e) => events.push(e) });
  cleanups.push(() => bank.close());
  const uac = await Uac.start(host);
  cleanups.push(() => uac.close());
  return { bank, uac, events };
}

function mediaEvents(events: readonly TrunkEvent[], party: string): MediaEvent[] {
  return events.filter((e): e is MediaEvent => e.type === 'media' && e.party === party);
}

describe('phone bank', () => {
  it('listens on an ephemeral loopback UDP port and lists its numbers', async () => {
    const { bank } = await setup(DEFAULT_PHONES);
    expect(bank.address.host).toBe('127.0.0.1');
    expect(bank.address.transport).toBe('udp');
    expect(bank.address.port).toBeGreaterThan(0);
    expect([...bank.numbers].sort()).toEqual(Object.keys(DEFAULT_PHONES).sort());
  });

  it('answer: 180 then 200 with SDP, two-way tones, media events, BYE answered 200', async () => {
    const { bank, uac, events } = await setup({
      '+14155550100': { kind: 'answer', toneHz: 1000, answerAfterMs: 50 },
    });
    const call = await uac.invite('+14155550100', bank.address);
    const final = await call.final;
    expect(final.status).toBe(200);
    expect(call.provisional).toContain(180);
    expect(final.headers.get('Content-Type')).toBe('application/sdp');
    call.rtp.play(createToneSource({ frequencyHz: 600 }));
    // The caller hears the phone's 1000 Hz tone...
    await until(() => call.detector.heard(1000, { minMs: 200 }), 'the caller to hear 1000 Hz');
    // ...and the phone hears the caller's 600 Hz, reported as a media event with the Call-ID.
    const heard = await until(
      () => mediaEvents(events, '+14155550100').find((e) => e.heard === 'tone:600'),
      'a media event tone:600',
    );
    expect(heard.callId).toBe(final.headers.get('Call-ID'));
    expect(bank.calls('+14155550100')[0]).toMatchObject({ state: 'answered', status: 200, codec: 'PCMU' });
    // Let the phone hear the tone for a while (a loaded machine delivers it in bursts).
    await bank.waitForHeard('+14155550100', 'tone:600', { minMs: 100, timeoutMs: 15_000 });
    // The caller stops sending: the phone reports silence.
    call.rtp.play(undefined);
    await until(
      () => mediaEvents(events, '+14155550100').at(-1)?.heard === 'silence',
      'a media event silence after RTP stops',
    );
    const bye = await call.dialog()!.request('BYE').response;
    expect(bye.status).toBe(200);
    await until(() => bank.calls()[0]?.state === 'ended', 'the call to end');
    const record = bank.calls()[0]!;
    expect(record.endReason).toBe('bye-received');
    const tone = bank.heard('+14155550100').filter((s) => s.heard === 'tone:600');
    expect(tone.reduce((ms, s) => ms + s.endMs - s.startMs, 0)).toBeGreaterThanOrEqual(100);
    expect(tone[0]?.hz).toBe(600);
  });

  it('busy answers 486, unreachable 503, decline 180 then 603', async () => {
    const { bank, uac } = await setup({
      '+14155550102': { kind: 'busy' },
      '+14155550105': { kind: 'unreachable' },
      '+14155550104': { kind: 'decline', answerAfterMs: 50 },
      '+14155550106': { kind: 'busy', rejectStatus: 480 },
    });
    const busy = await uac.invite('+14155550102', bank.address);
    expect((await busy.final).status).toBe(486);
    const unreachable = await uac.invite('+14155550105', bank.address);
    expect((await unreachable.final).status).toBe(503);
    const decline = await uac.invite('+14155550104', bank.address);
    expect((await decline.final).status).toBe(603);
    expect(decline.provisional).toContain(180);
    const custom = await uac.invite('+14155550106', bank.address);
    expect((await custom.final).status).toBe(480);
    expect(bank.calls().map((c) => [c.number, c.state, c.status])).toEqual([
      ['+14155550102', 'rejected', 486],
      ['+14155550105', 'rejected', 503],
      ['+14155550104', 'rejected', 603],
      ['+14155550106', 'rejected', 480],
    ]);
  });

  it('no-answer rings until CANCEL, then 487', async () => {
    const { bank, uac } = await setup({ '+14155550103': { kind: 'no-answer' } });
    const call = await uac.invite('+14155550103', bank.address);
    await until(() => call.provisional.includes(180), '180 Ringing');
    call.tx.cancel();
    expect((await call.final).status).toBe(487);
    await until(() => bank.calls()[0]?.state === 'cancelled', 'the phone to see the CANCEL');
    expect(bank.calls()[0]).toMatchObject({ status: 487, endReason: 'cancelled' });
  });

  it('no-answer gives up with 480 after maxRingMs', async () => {
    const { bank, uac } = await setup({ '+14155550103': { kind: 'no-answer', maxRingMs: 100 } });
    const call = await uac.invite('+14155550103', bank.address);
    expect((await call.final).status).toBe(480);
    expect(call.provisional).toContain(180);
  });

  it('hangup-after sends BYE after hangupAfterMs', async () => {
    const { bank, uac } = await setup({
      '+14155550107': { kind: 'hangup-after', answerAfterMs: 0, hangupAfterMs: 300, toneHz: 800 },
    });
    const call = await uac.invite('+14155550107', bank.address);
    expect((await call.final).status).toBe(200);
    expect(await call.ended).toBe('bye-received');
    expect(bank.calls()[0]).toMatchObject({ state: 'ended', endReason: 'bye-sent' });
  });

  it('hangup() ends the calls of one number from the phone: BYE when answered, 480 while ringing', async () => {
    const { bank, uac } = await setup({
      '+14155550100': { kind: 'answer', answerAfterMs: 0 },
      '+14155550101': { kind: 'answer', answerAfterMs: 0 },
      '+14155550103': { kind: 'no-answer' },
    });
    const customer = await uac.invite('+14155550100', bank.address);
    const other = await uac.invite('+14155550101', bank.address);
    const ringing = await uac.invite('+14155550103', bank.address);
    expect((await customer.final).status).toBe(200);
    expect((await other.final).status).toBe(200);
    await until(() => ringing.provisional.includes(180), '180 Ringing');

    await bank.hangup('+14155550100');
    expect(await customer.ended).toBe('bye-received');
    expect(bank.calls('+14155550100')[0]).toMatchObject({ state: 'ended', endReason: 'bye-sent' });
    expect(bank.calls('+14155550101')[0]?.state).toBe('answered');

    await bank.hangup();
    expect((await ringing.final).status).toBe(480);
    expect(await other.ended).toBe('bye-received');
    expect(bank.calls().map((c) => c.state)).toEqual(['ended', 'ended', 'rejected']);
  });

  it('PCMA-only answers PCMA to a PCMU+PCMA offer, with audio both ways', async () => {
    const { bank, uac, events } = await setup({
      '+14155550108': { kind: 'answer', codecs: ['PCMA'], answerAfterMs: 0, toneHz: 800 },
    });
    const call = await uac.invite('+14155550108', bank.address, { codecs: ['PCMU', 'PCMA'] });
    const final = await call.final;
    expect(final.status).toBe(200);
    expect(final.body.toString()).toMatch(/^m=audio \d+ RTP\/AVP 8( 101)?\r$/m);
    expect(call.rtp.codec).toBe('PCMA');
    call.rtp.play(createToneSource({ frequencyHz: 600 }));
    await until(() => call.detector.heard(800, { minMs: 200 }), 'the caller to hear 800 Hz');
    await until(
      () => mediaEvents(events, '+14155550108').some((e) => e.heard === 'tone:600'),
      'the phone to hear 600 Hz',
    );
    expect(bank.calls()[0]?.codec).toBe('PCMA');
  });

  it('PCMA-only refuses a PCMU-only offer with 488', async () => {
    const { bank, uac } = await setup({ '+14155550108': { kind: 'answer', codecs: ['PCMA'] } });
    const call = await uac.invite('+14155550108', bank.address, { codecs: ['PCMU'] });
    const final = await call.final;
    expect(final.status).toBe(488);
    expect(final.headers.get('Warning')).toMatch(/^399 /);
  });

  it('recognises US ring-back (440+480 Hz) as ringback, and a lone 440 Hz as a tone', async () => {
    const { bank, uac, events } = await setup({ '+14155550100': { kind: 'answer', answerAfterMs: 0 } });
    const call = await uac.invite('+14155550100', bank.address);
    expect((await call.final).status).toBe(200);
    call.rtp.play(createRingbackSource({ cadence: false }));
    await until(() => mediaEvents(events, '+14155550100').some((e) => e.heard === 'ringback'), 'ringback');
    call.rtp.play(createToneSource({ frequencyHz: 440 }));
    await until(
      () => mediaEvents(events, '+14155550100').at(-1)?.heard === 'tone:440',
      'tone:440 after ringback',
    );
    expect(bank.heard('+14155550100').some((s) => s.heard === 'ringback' && s.hz === null)).toBe(true);
  });

  it('follows a re-INVITE to a new RTP address (re-bridging)', async () => {
    const { bank, uac } = await setup({ '+14155550101': { kind: 'answer', toneHz: 800, answerAfterMs: 0 } });
    const call = await uac.invite('+14155550101', bank.address, { detectHz: [800] });
    expect((await call.final).status).toBe(200);
    await until(() => call.detector.heard(800), 'audio on the first session');
    const moved = await uac.rtpSession();
    const detector = new ToneDetector({ candidatesHz: [800] });
    moved.on('audio', (pcm) => detector.push(pcm));
    const reinvite = await call
      .dialog()!
      .request('INVITE', { headers: { 'Content-Type': 'application/sdp' }, body: moved.localOffer() })
      .response;
    expect(reinvite.status).toBe(200);
    expect(moved.applyAnswer(reinvite.body.toString()).ok).toBe(true);
    await until(() => detector.heard(800, { minMs: 200 }), 'audio on the new session');
  });

  it('answers 404 for unknown numbers, 200 to OPTIONS, 405 to other methods', async () => {
    const { bank, uac } = await setup(DEFAULT_PHONES);
    const unknown = await uac.invite('+19999999999', bank.address);
    expect((await unknown.final).status).toBe(404);
    expect((await uac.request('OPTIONS', '+14155550100', bank.address).response).status).toBe(200);
    const message = await uac.request('MESSAGE', '+14155550100', bank.address, {
      headers: { 'Content-Type': 'text/plain' },
      body: 'hi',
    }).response;
    expect(message.status).toBe(405);
    expect(message.headers.get('Allow')).toContain('INVITE');
    expect(bank.calls()).toHaveLength(0);
    // telephone-subscriber parameters in the user part do not hide the number
    const withParams = await uac.invite('+14155550102;npdi', bank.address);
    expect((await withParams.final).status).toBe(486);
  });

  it('works over IPv6 loopback', async () => {
    const { bank, uac } = await setup({ '+14155550100': { kind: 'answer', answerAfterMs: 0 } }, '::1');
    expect(bank.address.host).toBe('::1');
    const call = await uac.invite('+14155550100', bank.address, { detectHz: [1000] });
    const final = await call.final;
    expect(final.status).toBe(200);
    expect(final.body.toString()).toContain('c=IN IP6 ::1');
    await until(() => call.detector.heard(1000), 'audio over IPv6');
  });

  it('close() hangs up answered calls with BYE', async () => {
    const { bank, uac } = await setup({ '+14155550100': { kind: 'answer', answerAfterMs: 0 } });
    const call = await uac.invite('+14155550100', bank.address);
    expect((await call.final).status).toBe(200);
    await bank.close();
    expect(await call.ended).toBe('bye-received');
    expect(bank.calls()[0]).toMatchObject({ state: 'ended', endReason: 'closed' });
  });

  it('captures received RTP when asked, bounded per call', async () => {
    const events: TrunkEvent[] = [];
    const bank = await startPhoneBank({
      phones: { '+14155550100': { kind: 'answer', answerAfterMs: 0 } },
      captureRtp: 20,
      onEvent: (e) => events.push(e),
    });
    cleanups.push(() => bank.close());
    const uac = await Uac.start();
    cleanups.push(() => uac.close());
    const call = await uac.invite('+14155550100', bank.address);
    const final = await call.final;
    call.rtp.play(createToneSource({ frequencyHz: 600 }));
    const callId = final.headers.get('Call-ID')!;
    await until(() => bank.rtpPackets(callId).length === 20, '20 captured packets');
    await until(() => call.rtp.stats.sent.packets > 30, 'more than 20 packets sent');
    const packets = bank.rtpPackets(callId);
    expect(packets).toHaveLength(20);
    const local = call.rtp.local;
    for (const p of packets) {
      expect(p.from).toBe(`${local.address}:${local.port}`);
      const parsed = parseRtp(p.data);
      expect(parsed.ok && parsed.value.ssrc).toBe(call.rtp.ssrc);
    }
    expect(bank.rtpPackets('unknown')).toEqual([]);
    const capture = writePcapng([], { rtp: packets });
    expect(capture.length).toBeGreaterThan(20 * 172);
  });

  it('carries 20 concurrent calls to one number, each with two-way audio, and ends them all', async () => {
    const { bank, uac } = await setup({ '+14155550100': { kind: 'answer', answerAfterMs: 0, toneHz: 1000 } });
    const calls = await Promise.all(
      Array.from({ length: 20 }, () => uac.invite('+14155550100', bank.address, { detectHz: [1000] })),
    );
    const finals = await Promise.all(calls.map((c) => c.final));
    expect(finals.map((f) => f.status)).toEqual(Array(20).fill(200));
    for (const call of calls) call.rtp.play(createToneSource({ frequencyHz: 600 }));
    await until(
      () => calls.every((c) => c.detector.heard(1000, { minMs: 200 })),
      'every caller to hear 1000 Hz',
      15_000,
    );
    await until(
      () => bank.calls().every((c) => c.heard.some((s) => s.heard === 'tone:600' && s.frames >= 5)),
      'every call to hear 600 Hz',
      15_000,
    );
    const byes = await Promise.all(calls.map((c) => c.dialog()!.request('BYE').response));
    expect(byes.map((b) => b.status)).toEqual(Array(20).fill(200));
    await until(() => bank.calls().every((c) => c.state === 'ended'), 'every call to end');
  });

  it('rejects bad profiles with a typed error naming the phone and the field', async () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ kind: 'answer', toneHz: 5000 }, /toneHz 5000/],
      [{ kind: 'ring' }, /kind must be one of/],
      [{ kind: 'busy', rejectStatus: 200 }, /rejectStatus/],
      [{ kind: 'answer', codecs: ['G729'] }, /codecs/],
      [{ kind: 'answer', answerAfterMs: -1 }, /answerAfterMs/],
    ];
    for (const [profile, message] of bad) {
      const error = await startPhoneBank({ phones: { '+1': profile as unknown as PhoneProfile } }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(PhoneBankError);
      expect((error as PhoneBankError).code).toBe('INVALID_PROFILE');
      expect((error as PhoneBankError).message).toMatch(message);
      expect((error as PhoneBankError).message).toContain('"+1"');
    }
  });

  it('waitForHeard resolves once a tone was heard long enough, and times out or fails on close with typed errors', async () => {
    const { bank, uac } = await setup({ '+14155550100': { kind: 'answer', answerAfterMs: 0 } });
    const call = await uac.invite('+14155550100', bank.address);
    expect((await call.final).status).toBe(200);
    const since = Date.now();
    call.rtp.play(createToneSource({ frequencyHz: 800 }));
    expect(await bank.waitForHeard('+14155550100', 'tone:800', { since, minMs: 300 })).toBeGreaterThanOrEqual(
      300,
    );
    expect(bank.heardMs('+14155550100', 'tone:800', since)).toBeGreaterThanOrEqual(300);
    // Already heard: resolves at once, with nothing left running.
    expect(await bank.waitForHeard('+14155550100', 'tone:800', { since, minMs: 300 })).toBeGreaterThanOrEqual(
      300,
    );
    const timeout = await bank
      .waitForHeard('+14155550100', 'tone:1000', { timeoutMs: 200 })
      .catch((e: unknown) => e as PhoneBankError);
    expect(timeout).toBeInstanceOf(PhoneBankError);
    expect(timeout).toMatchObject({
      code: 'TIMEOUT',
      message: expect.stringMatching(/it heard: .*tone:800/) as unknown,
    });
    const pending = bank
      .waitForHeard('+14155550100', 'ringback', { timeoutMs: 15_000 })
      .catch((e: unknown) => e);
    await bank.close();
    expect(await pending).toMatchObject({ code: 'CLOSED' });
  });
});
