import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, createSipStack } from '../../src/index.js';
import type { DialogEndReason, SipStack } from '../../src/index.js';
import { rawPeer, rawRequest } from '../helpers/raw-peer.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

const tagOf = (msg: string): string => /\r\nTo: [^\r]*;tag=([^;\r]+)/.exec(msg)?.[1] ?? '';
const count = (all: string[], start: string): number => all.filter((m) => m.startsWith(start)).length;

async function setup(): Promise<{ clock: ManualClock; stack: SipStack; port: number }> {
  const clock = new ManualClock();
  const stack = await createSipStack({ listen: [{ transport: 'udp' }], clock });
  open.push(stack);
  return { clock, stack, port: stack.addresses[0]!.port };
}

describe('UAS 2xx retransmission (RFC 3261 13.3.1.4) on the manual clock', () => {
  it('retransmits the 200 at T1, 2*T1, ... until the ACK arrives, then stops', async () => {
    const { clock, stack, port } = await setup();
    const peer = await rawPeer();
    open.push(peer);
    const acks: number[] = [];
    stack.on('request', (req) => req.respond(200)?.on('ack', () => acks.push(clock.now())));
    await peer.send(rawRequest('INVITE', peer.port), port);
    await peer.waitFor((all) => count(all, 'SIP/2.0 200') === 1);
    // Answered while the request event ran: no 100 Trying is needed (RFC 3261 17.2.1).
    expect(count(peer.received, 'SIP/2.0 100')).toBe(0);
    clock.advance(500);
    await peer.waitFor((all) => count(all, 'SIP/2.0 200') === 2);
    clock.advance(1000);
    await peer.waitFor((all) => count(all, 'SIP/2.0 200') === 3);
    const toTag = tagOf(peer.received.find((m) => m.startsWith('SIP/2.0 200'))!);
    await peer.send(rawRequest('ACK', peer.port, { toTag }), port);
    while (acks.length === 0) await new Promise((r) => setTimeout(r, 5));
    clock.advance(60_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(count(peer.received, 'SIP/2.0 200')).toBe(3);
    expect(stack.stats.activeDialogs).toBe(1);
    expect(stack.stats.activeTransactions).toBe(0);
  });

  it('an INVITE answered later gets 100 Trying first', async () => {
    const { stack, port } = await setup();
    const peer = await rawPeer();
    open.push(peer);
    stack.on('request', (req) => void setImmediate(() => req.respond(486)));
    await peer.send(rawRequest('INVITE', peer.port), port);
    await peer.waitFor((all) => count(all, 'SIP/2.0 486') === 1);
    expect(peer.received.map((m) => m.slice(0, 11))).toEqual(['SIP/2.0 100', 'SIP/2.0 486']);
  });

  it('without an ACK for 64*T1 the dialog ends with BYE', async () => {
    const { clock, stack, port } = await setup();
    const peer = await rawPeer();
    open.push(peer);
    const ended: DialogEndReason[] = [];
    stack.on('request', (req) => req.respond(200)?.on('terminated', (r) => ended.push(r)));
    await peer.send(rawRequest('INVITE', peer.port), port);
    await peer.waitFor((all) => count(all, 'SIP/2.0 200') === 1);
    // 200 at 0, then 500, 1500, 3500, 7500, 11500, ... 31500 (capped at T2): 11 in 64*T1.
    for (let t = 0; t < 32_000; t += 250) {
      clock.advance(250);
      await new Promise((r) => setImmediate(r));
    }
    await peer.waitFor((all) => count(all, 'BYE ') === 1);
    expect(count(peer.received, 'SIP/2.0 200')).toBe(11);
    expect(ended).toEqual(['ack-timeout']);
  });

  it('a retransmitted INVITE is absorbed after the 2xx; a retransmitted request gets the same final', async () => {
    const { stack, port } = await setup();
    const peer = await rawPeer();
    open.push(peer);
    let invites = 0;
    stack.on('request', (req) => {
      invites++;
      req.respond(req.method === 'INVITE' ? 486 : 200);
    });
    const invite = rawRequest('INVITE', peer.port, { branch: 'z9hG4bKfixed1' });
    await peer.send(invite, port);
    await peer.waitFor((all) => count(all, 'SIP/2.0 486') === 1);
    await peer.send(invite, port);
    await peer.waitFor((all) => count(all, 'SIP/2.0 486') === 2);
    expect(invites).toBe(1);
  });

  it('an in-dialog request with a lower CSeq gets 500 (RFC 3261 12.2.2)', async () => {
    const { stack, port } = await setup();
    const peer = await rawPeer();
    open.push(peer);
    stack.on('request', (req) => {
      req.respond(200)?.on('request', (r) => r.respond(200));
    });
    await peer.send(rawRequest('INVITE', peer.port, { cseq: 10 }), port);
    await peer.waitFor((all) => count(all, 'SIP/2.0 200') >= 1);
    const toTag = tagOf(peer.received.find((m) => m.startsWith('SIP/2.0 200'))!);
    await peer.send(rawRequest('ACK', peer.port, { toTag, cseq: 10 }), port);
    await peer.send(rawRequest('INFO', peer.port, { toTag, cseq: 5 }), port);
    await peer.waitFor((all) => count(all, 'SIP/2.0 500') === 1);
    await peer.send(rawRequest('INFO', peer.port, { toTag, cseq: 11 }), port);
    await peer.waitFor((all) => all.some((m) => m.startsWith('SIP/2.0 200') && m.includes('CSeq: 11 INFO')));
  });
});
