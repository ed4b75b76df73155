import {
  ToneDetector,
  createRtpSession,
  createToneSource,
  isRtpEngineInstalled,
  startRtpEngine,
} from '@referkit/media';
import type { QueryTag, RtpEngineController, RtpEngineSupervisor, RtpSession } from '@referkit/media';
import { createSipStack } from '@referkit/sip';
import type { Dialog, SipStack } from '@referkit/sip';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startMockTrunk } from '../../src/index.js';
import type { MockTrunk } from '../../src/index.js';
import { until } from '../trunk/helpers.js';

const CUSTOMER = '+14155550100';
const AGENT = '+14155550101';
const installed = await isRtpEngineInstalled();
if (!installed && process.env.CI) throw new Error('rtpengine is missing: run `bash scripts/setup.sh`');

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

let engine: RtpEngineSupervisor | undefined;
let rtpengine: RtpEngineController | undefined;
beforeAll(async () => {
  if (!installed) return;
  engine = await startRtpEngine({ deleteDelay: 0 });
  rtpengine = await engine.controller();
});
afterAll(async () => {
  rtpengine?.close();
  await engine?.stop();
});

interface MediaEndpoint {
  stack: SipStack;
  rtp: RtpSession;
  hears: ToneDetector;
  dialog: Dialog | undefined;
  byeAt: number | undefined;
  notifies: string[];
}

async function startEndpoint(): Promise<MediaEndpoint> {
  const stack = await createSipStack({ listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }] });
  const rtp = await createRtpSession();
  const hears = new ToneDetector({ candidatesHz: [600, 800, 1000] });
  rtp.on('audio', (pcm) => hears.push(pcm));
  const ep: MediaEndpoint = { stack, rtp, hears, dialog: undefined, byeAt: undefined, notifies: [] };
  cleanups.push(async () => {
    await rtp.close();
    await stack.close();
  });
  return ep;
}

/** The endpoint calls the customer through the trunk (its SDP through rtpengine) and plays 600 Hz. */
async function dialCustomer(ep: MediaEndpoint, trunk: MockTrunk): Promise<string> {
  const address = trunk.addresses[0];
  if (!address) throw new Error('no address');
  const invite = ep.stack.sendRequest(
    {
      method: 'INVITE',
      uri: trunk.uriFor(CUSTOMER),
      headers: { From: `<sip:+14155550199@${trunk.domain}>`, 'Content-Type': 'application/sdp' },
      body: ep.rtp.localOffer(),
    },
    { destination: { transport: 'udp', host: address.host, port: address.port } },
  );
  const answer = await invite.response;
  expect(answer.status).toBe(200);
  const sdp = answer.body.toString('utf8');
  expect(ep.rtp.applyAnswer(sdp).ok).toBe(true);
  ep.dialog = invite.dialog;
  ep.dialog?.on('request', (req) => {
    if (req.method === 'NOTIFY') ep.notifies.push(req.body.toString('utf8').trim());
    if (req.method === 'BYE') ep.byeAt = Date.now();
    req.respond(200);
  });
  ep.rtp.play(createToneSource({ frequencyHz: 600 }));
  return sdp;
}

describe.skipIf(!installed)('media through rtpengine', () => {
  let trunk: MockTrunk;

  it('the customer hears the endpoint before the transfer and the target after it; no session is left', async () => {
    if (!engine || !rtpengine) throw new Error('rtpengine not started');
    trunk = await startMockTrunk({
      media: 'rtpengine',
      rtpengine: { host: engine.ngHost, port: engine.ngPort },
      phones: {
        [CUSTOMER]: { kind: 'answer', toneHz: 1000, answerAfterMs: 100 },
        [AGENT]: { kind: 'hangup-after', toneHz: 800, answerAfterMs: 1200, hangupAfterMs: 3000 },
      },
    });
    cleanups.push(() => trunk.close());
    const bank = trunk.phoneBank;
    if (!bank) throw new Error('no phone bank');
    const ep = await startEndpoint();
    // The SDP the endpoint got points at rtpengine, not at the phone.
    expect(await dialCustomer(ep, trunk)).not.toContain(`m=audio ${bank.address.port}`);

    await until(() => ep.hears.heard(1000, { minMs: 300 }), 10_000, 'endpoint hears the customer');
    await until(
      () => bank.heard(CUSTOMER).some((s) => s.heard === 'tone:600' && s.frames >= 10),
      10_000,
      'customer hears the endpoint',
    );
    const referAt = Date.now();
    const refer = ep.dialog?.request('REFER', { headers: { 'Refer-To': `<sip:${AGENT}@${trunk.domain}>` } });
    expect((await refer?.response)?.status).toBe(202);
    await until(() => ep.byeAt !== undefined, 15_000, 'BYE to the endpoint');
    expect(ep.notifies).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 180 Ringing', 'SIP/2.0 200 OK']);

    // After the re-bridge the customer hears the target (800 Hz) and the target hears the customer.
    await until(
      () => bank.heard(CUSTOMER).some((s) => s.heard === 'tone:800' && s.startMs > referAt && s.frames >= 10),
      10_000,
      'customer hears the target',
    );
    await until(
      () => bank.heard(AGENT).some((s) => s.heard === 'tone:1000' && s.frames >= 10),
      10_000,
      'target hears the customer',
    );
    const heard = bank.heard(CUSTOMER);
    expect(heard.some((s) => s.heard === 'tone:600' && s.startMs < referAt)).toBe(true);

    // rtpengine's own counters agree: after the re-bridge it holds the customer and the target,
    // in dialogue with each other, RTP still arriving from both (about 15 packets in 300 ms at
    // 20 ms ptime) and no errors.
    const ng = rtpengine;
    const parties = async (): Promise<Map<string, QueryTag>> => {
      const queries = await Promise.all((await ng.list()).map((callId) => ng.query({ callId })));
      return new Map(queries.flatMap((q) => Object.values(q.tags)).map((t) => [t.tag, t]));
    };
    const before = await parties();
    await new Promise((r) => setTimeout(r, 300));
    const after = await parties();
    const target = [...after.keys()].find((tag) => tag.startsWith('target'));
    expect(after.get('customer')?.inDialogueWith).toBe(target);
    expect(target && after.get(target)?.inDialogueWith).toBe('customer');
    for (const tag of ['customer', target ?? '']) {
      const grew = (after.get(tag)?.packets ?? 0) - (before.get(tag)?.packets ?? 0);
      expect(grew, `packets from ${tag} in 300 ms`).toBeGreaterThanOrEqual(8);
      expect(after.get(tag)?.streams.every((st) => st.errors === 0)).toBe(true);
    }

    // The target hangs up: the trunk ends the customer leg and deletes the rtpengine call.
    await until(() => trunk.calls().length === 0, 15_000, 'call ended');
    expect(await rtpengine.list()).toEqual([]);
    const records = trunk.records();
    expect(records.map((r) => [r.kind, r.status])).toEqual([
      ['original', 200],
      ['transfer', 200],
    ]);
  });

  it('while the target rings the customer hears ring-back alone; after a no-answer it hears the endpoint again', async () => {
    if (!engine || !rtpengine) throw new Error('rtpengine not started');
    trunk = await startMockTrunk({
      media: 'rtpengine',
      rtpengine: { host: engine.ngHost, port: engine.ngPort },
      ringTimeoutMs: 2500,
      phones: {
        [CUSTOMER]: { kind: 'answer', toneHz: 1000, answerAfterMs: 100 },
        '+14155550103': { kind: 'no-answer' },
      },
    });
    cleanups.push(() => trunk.close());
    const bank = trunk.phoneBank;
    if (!bank) throw new Error('no phone bank');
    const ep = await startEndpoint();
    await dialCustomer(ep, trunk);
    await bank.waitForHeard(CUSTOMER, 'tone:600', { minMs: 300, timeoutMs: 10_000 });

    const refer = ep.dialog?.request('REFER', {
      headers: { 'Refer-To': `<sip:+14155550103@${trunk.domain}>` },
    });
    expect((await refer?.response)?.status).toBe(202);
    await until(() => ep.notifies.includes('SIP/2.0 180 Ringing'), 10_000, 'NOTIFY 180');
    const ringingAt = Date.now();
    await until(() => ep.notifies.length === 3, 10_000, 'final NOTIFY');
    const endedAt = Date.now();
    expect(ep.notifies.at(-1)).toBe('SIP/2.0 408 Request Timeout');
    // Ring-back plays 2 s on, 4 s off; within the first 2 s of ringing the endpoint's 600 Hz is held back.
    const within = (heard: string, from: number, to: number): number =>
      bank
        .heard(CUSTOMER)
        .filter((seg) => seg.heard === heard)
        .reduce((ms, seg) => ms + Math.max(0, Math.min(seg.endMs, to) - Math.max(seg.startMs, from)), 0);
    const window = Math.min(endedAt, ringingAt + 2000);
    expect(within('ringback', ringingAt, window)).toBeGreaterThan(0.6 * (window - ringingAt));
    expect(within('tone:600', ringingAt + 200, endedAt)).toBeLessThan(100);
    // The target gave up: the endpoint's voice is back.
    await bank.waitForHeard(CUSTOMER, 'tone:600', { since: endedAt + 100, minMs: 300, timeoutMs: 10_000 });
    expect((await ep.dialog?.request('BYE').response)?.status).toBe(200);
    await until(() => trunk.calls().length === 0, 15_000, 'call ended');
    expect(await rtpengine.list()).toEqual([]);
  });

  it('refused, failed and cancelled calls and refused REFERs leave no rtpengine session behind', async () => {
    if (!engine || !rtpengine) throw new Error('rtpengine not started');
    const ng = rtpengine;
    trunk = await startMockTrunk({
      media: 'rtpengine',
      rtpengine: { host: engine.ngHost, port: engine.ngPort },
    });
    cleanups.push(() => trunk.close());
    const ep = await startEndpoint();
    const address = trunk.addresses[0];
    if (!address) throw new Error('no address');
    const invite = (number: string) =>
      ep.stack.sendRequest(
        {
          method: 'INVITE',
          uri: trunk.uriFor(number),
          headers: { From: `<sip:+14155550199@${trunk.domain}>`, 'Content-Type': 'application/sdp' },
          body: ep.rtp.localOffer(),
        },
        { destination: { transport: 'udp', host: address.host, port: address.port } },
      );
    const settled = async (): Promise<void> => {
      await until(() => trunk.calls().length === 0, 10_000, 'no call left');
      expect(await ng.list()).toEqual([]);
    };

    // Unknown number (404) and an unreachable phone (503): nothing anchored stays.
    expect((await invite('+14155550999').response).status).toBe(404);
    await settled();
    expect((await invite('+14155550106').response).status).toBeGreaterThanOrEqual(500);
    await settled();
    // The endpoint gives up while the customer rings: CANCEL, 487, the session is deleted.
    const ringing = invite('+14155550103');
    await new Promise<void>((resolve) => ringing.on('provisional', (r) => r.status === 180 && resolve()));
    ringing.cancel();
    expect((await ringing.response).status).toBe(487);
    await settled();

    // A live call: refused REFERs and a declined target leave exactly its own session.
    await dialCustomer(ep, trunk);
    const calls = await ng.list();
    expect(calls).toHaveLength(1);
    const refer = async (referTo: string | readonly string[] | undefined): Promise<number | undefined> =>
      (
        await ep.dialog?.request('REFER', { headers: referTo === undefined ? {} : { 'Refer-To': referTo } })
          ?.response
      )?.status;
    expect(await refer(undefined)).toBe(400);
    expect(await refer([`<sip:${AGENT}@${trunk.domain}>`, `<sip:+14155550102@${trunk.domain}>`])).toBe(400);
    expect(await refer(`<sip:${AGENT}@example.com>`)).toBe(403);
    expect(await refer(`<sip:${AGENT}@10.0.0.1>`)).toBe(403);
    expect(await refer(`<sip:${'9'.repeat(4000)}@${trunk.domain}>`)).toBeGreaterThanOrEqual(400);
    expect(await refer(`<sip:+14155550104@${trunk.domain}>`)).toBe(202);
    await until(() => ep.notifies.at(-1) === 'SIP/2.0 603 Decline', 10_000, 'NOTIFY 603');
    // The declined leg's session goes once the target's answer is handled.
    for (let i = 0; i < 50 && (await ng.list()).length > 1; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await ng.list()).toEqual(calls);
    expect((await ep.dialog?.request('BYE').response)?.status).toBe(200);
    await settled();
  });

  it('a failed transfer (busy) leaves the customer and the endpoint hearing each other', async () => {
    if (!engine || !rtpengine) throw new Error('rtpengine not started');
    trunk = await startMockTrunk({
      media: 'rtpengine',
      rtpengine: { host: engine.ngHost, port: engine.ngPort },
      phones: {
        [CUSTOMER]: { kind: 'answer', toneHz: 1000, answerAfterMs: 100 },
        '+14155550102': { kind: 'busy' },
      },
    });
    cleanups.push(() => trunk.close());
    const bank = trunk.phoneBank;
    if (!bank) throw new Error('no phone bank');
    const ep = await startEndpoint();
    await dialCustomer(ep, trunk);
    await until(() => ep.hears.heard(1000, { minMs: 300 }), 10_000, 'endpoint hears the customer');

    const refer = ep.dialog?.request('REFER', {
      headers: { 'Refer-To': `<sip:+14155550102@${trunk.domain}>` },
    });
    expect((await refer?.response)?.status).toBe(202);
    await until(() => ep.notifies.length === 2, 10_000, 'final NOTIFY');
    expect(ep.notifies).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 486 Busy Here']);
    const failedAt = Date.now() + 100;
    const since = ep.hears.now() + 100;
    await until(
      () => ep.hears.heard(1000, { since, minMs: 300 }),
      10_000,
      'endpoint still hears the customer',
    );
    await until(
      () => bank.heard(CUSTOMER).some((s) => s.heard === 'tone:600' && s.endMs > failedAt + 300),
      10_000,
      'customer still hears the endpoint',
    );
    expect((await ep.dialog?.request('BYE').response)?.status).toBe(200);
    await until(() => trunk.calls().length === 0, 15_000, 'call ended');
    expect(await rtpengine.list()).toEqual([]);
  });

  it.each([
    [true, 'the customer hears the PCMA-only target through transcoding'],
    [
      false,
      'without transcoding the PCMA-only target answers, the transfer completes and the customer hears nothing (flagged no-common-codec)',
    ],
  ])('transcode %s: %s', async (transcode) => {
    if (!engine || !rtpengine) throw new Error('rtpengine not started');
    trunk = await startMockTrunk({
      media: 'rtpengine',
      rtpengine: { host: engine.ngHost, port: engine.ngPort },
      transcode,
      phones: {
        [CUSTOMER]: { kind: 'answer', toneHz: 1000, answerAfterMs: 100, codecs: ['PCMU'] },
        [AGENT]: {
          kind: 'hangup-after',
          toneHz: 800,
          answerAfterMs: 300,
          hangupAfterMs: 3000,
          codecs: ['PCMA'],
        },
      },
    });
    cleanups.push(() => trunk.close());
    const bank = trunk.phoneBank;
    if (!bank) throw new Error('no phone bank');
    const ep = await startEndpoint();
    await dialCustomer(ep, trunk);
    await until(() => ep.hears.heard(1000, { minMs: 200 }), 10_000, 'endpoint hears the customer');
    const referAt = Date.now();
    const refer = ep.dialog?.request('REFER', { headers: { 'Refer-To': `<sip:${AGENT}@${trunk.domain}>` } });
    expect((await refer?.response)?.status).toBe(202);
    await until(() => ep.notifies.some((n) => / [2-6]\d\d /.test(n)), 15_000, 'final NOTIFY');
    // Either way the target answers: the transfer completes.
    expect(ep.notifies.at(-1)).toBe('SIP/2.0 200 OK');
    const heardTarget = (): boolean =>
      bank.heard(CUSTOMER).some((s) => s.heard === 'tone:800' && s.startMs > referAt && s.frames >= 10);
    if (transcode) {
      await until(heardTarget, 10_000, 'customer hears the target through transcoding');
      await until(() => trunk.records().length >= 2, 15_000, 'records written');
      for (const record of trunk.records()) expect(record.flags).not.toContain('no-common-codec');
    } else {
      // The target's phone speaks for 3 s before hanging up; the customer hears none of it.
      await until(() => bank.calls(AGENT).at(-1)?.state === 'ended', 15_000, 'target hung up');
      expect(heardTarget()).toBe(false);
      expect(bank.heardMs(CUSTOMER, 'tone:800', referAt)).toBe(0);
      await until(() => trunk.records().length >= 2, 15_000, 'records written');
      for (const record of trunk.records()) expect(record.flags).toContain('no-common-codec');
    }
    await until(() => trunk.calls().length === 0, 15_000, 'call ended');
    expect(await rtpengine.list()).toEqual([]);
  });
});
