import { createToneSource } from '@referkit/media';
import { Inviter, SessionState, UserAgent, type Invitation, type Session } from 'sip.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createNodeUserAgent,
  type NodeSessionDescriptionHandler,
  type NodeTransportProtocol,
  type NodeUserAgent,
} from '../../src/node/index.js';

const agents: NodeUserAgent[] = [];

afterEach(async () => {
  for (const agent of agents.splice(0)) await agent.stop();
});

function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = (): void => {
      if (check()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

function sdh(session: Session): NodeSessionDescriptionHandler {
  return session.sessionDescriptionHandler as NodeSessionDescriptionHandler;
}

async function pair(protocol: NodeTransportProtocol): Promise<{
  alice: NodeUserAgent;
  bob: NodeUserAgent;
  incoming: Promise<Invitation>;
}> {
  let onInvite: (invitation: Invitation) => void = () => undefined;
  const incoming = new Promise<Invitation>((resolve) => {
    onInvite = resolve;
  });
  const bob = await createNodeUserAgent({
    uri: 'sip:bob@example.test',
    transport: { protocol },
    media: { audio: () => createToneSource({ frequencyHz: 1000 }), toneCandidatesHz: [600, 1000] },
    userAgentOptions: { delegate: { onInvite: (invitation) => onInvite(invitation) } },
  });
  agents.push(bob);
  const alice = await createNodeUserAgent({
    uri: 'sip:alice@example.test',
    transport: { protocol },
    media: { audio: () => createToneSource({ frequencyHz: 600 }), toneCandidatesHz: [600, 1000] },
  });
  agents.push(alice);
  return { alice, bob, incoming };
}

describe.each(['udp', 'tcp'] as const)('two SIP.js user agents over loopback %s', (protocol) => {
  it('call, both hear each other, hold, DTMF, hang up', async () => {
    const { alice, bob, incoming } = await pair(protocol);
    // Dial a number rather than bob's contact user: the transport re-addresses it (SIP.js would 404).
    const target = UserAgent.makeURI(`sip:+14155550100@${bob.contact.slice(bob.contact.indexOf('@') + 1)}`);
    if (!target) throw new Error('bad target');
    const inviter = new Inviter(alice.userAgent, target);
    await inviter.invite();
    const invitation = await incoming;
    expect(invitation.request.to.uri.user).toBe('+14155550100');
    await invitation.accept();
    await waitFor(() => inviter.state === SessionState.Established, 'alice established');

    const aliceHears = sdh(inviter).detector;
    const bobHears = sdh(invitation).detector;
    await waitFor(() => aliceHears.heard(1000) && bobHears.heard(600), 'tones both ways');

    // Hold: alice re-offers sendonly; bob answers recvonly and stops sending.
    await inviter.invite({ sessionDescriptionHandlerOptions: { hold: true } as object });
    await waitFor(() => sdh(invitation).rtpSession?.direction === 'recvonly', 'bob recvonly');
    await waitFor(() => sdh(inviter).rtpSession?.direction === 'sendonly', 'alice sendonly');
    const bobSent = (): number => sdh(invitation).rtpSession?.stats.sent.packets ?? 0;
    const before = bobSent();
    await new Promise((r) => setTimeout(r, 300));
    expect(bobSent() - before).toBeLessThanOrEqual(1);
    const heldAt = bobHears.now();
    await waitFor(() => bobHears.heardMs(600, { since: heldAt }) >= 100, 'bob still hears alice while held');

    // Unhold and send DTMF from alice to bob.
    await inviter.invite({ sessionDescriptionHandlerOptions: { hold: false } as object });
    await waitFor(() => sdh(invitation).rtpSession?.direction === 'sendrecv', 'bob sendrecv again');
    const digits: string[] = [];
    sdh(invitation).on('dtmf', (event) => digits.push(event.digit));
    expect(sdh(inviter).sendDtmf('5#')).toBe(true);
    await waitFor(() => digits.length === 2, 'two DTMF digits');
    expect(digits).toEqual(['5', '#']);

    await inviter.bye();
    await waitFor(() => invitation.state === SessionState.Terminated, 'bob terminated');
    expect(sdh(inviter).isClosed).toBe(true);
  });
});
