import * as dgram from 'node:dgram';
import { Inviter, SessionState, UserAgent } from 'sip.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeUserAgent, type NodeUserAgent } from '../../src/node/index.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** A hand-written UAS on a raw UDP socket: the test decides every byte it sends. */
async function rawPeer(): Promise<{
  port: number;
  next(match: RegExp): Promise<{ text: string; from: dgram.RemoteInfo }>;
  send(text: string, to: dgram.RemoteInfo): void;
}> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  cleanup.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  const inbox: { text: string; from: dgram.RemoteInfo }[] = [];
  const waiters: (() => void)[] = [];
  socket.on('message', (msg, from) => {
    inbox.push({ text: msg.toString('utf8'), from });
    for (const w of waiters.splice(0)) w();
  });
  const next = async (match: RegExp): Promise<{ text: string; from: dgram.RemoteInfo }> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const index = inbox.findIndex((m) => match.test(m.text));
      if (index >= 0) return inbox.splice(index, 1)[0] as { text: string; from: dgram.RemoteInfo };
      if (Date.now() > deadline) throw new Error(`no message matching ${String(match)}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  };
  return {
    port: socket.address().port,
    next,
    send: (text, to) => socket.send(Buffer.from(text), to.port, to.address),
  };
}

async function waitFor(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const header = (text: string, name: string): string => {
  const match = new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(text);
  if (!match?.[1]) throw new Error(`no ${name} in\n${text}`);
  return match[1].trim();
};

describe('SIP.js quirks handled by the Node transport', () => {
  it('delivers a 180 without Contact (ringing), puts the real address in Via, and restores the Via SIP.js expects on responses', async () => {
    const peer = await rawPeer();
    const agent: NodeUserAgent = await createNodeUserAgent({
      uri: 'sip:agent@example.test',
      transport: { server: { host: '127.0.0.1', port: peer.port } },
    });
    cleanup.push(() => agent.stop());
    const target = UserAgent.makeURI('sip:+14155550100@example.test');
    if (!target) throw new Error('bad URI');
    const inviter = new Inviter(agent.userAgent, target);
    const progress: number[] = [];
    await inviter.invite({
      requestDelegate: { onProgress: (r) => progress.push(r.message.statusCode ?? 0) },
    });
    const invite = await peer.next(/^INVITE /);
    const via = header(invite.text, 'Via');
    // The wire carries the transport's real address, not SIP.js's made-up host.
    expect(via).toMatch(new RegExp(`^SIP/2.0/UDP 127\\.0\\.0\\.1:${invite.from.port};branch=[^;]+;rport`));
    const common = [
      `Via: ${via}`,
      `From: ${header(invite.text, 'From')}`,
      `To: ${header(invite.text, 'To')};tag=peer1`,
      `Call-ID: ${header(invite.text, 'Call-ID')}`,
      `CSeq: ${header(invite.text, 'CSeq')}`,
    ];
    peer.send(['SIP/2.0 180 Ringing', ...common, 'Content-Length: 0', '', ''].join('\r\n'), invite.from);
    await waitFor(() => progress.includes(180));
    const sdp =
      'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n';
    peer.send(
      [
        'SIP/2.0 200 OK',
        ...common,
        `Contact: <sip:peer@127.0.0.1:${peer.port}>`,
        'Content-Type: application/sdp',
        `Content-Length: ${sdp.length}`,
        '',
        sdp,
      ].join('\r\n'),
      invite.from,
    );
    await peer.next(/^ACK /);
    expect(inviter.state).toBe(SessionState.Established);
    expect(progress).toContain(180);

    await inviter.bye();
    const bye = await peer.next(/^BYE /);
    peer.send(
      [
        'SIP/2.0 200 OK',
        `Via: ${header(bye.text, 'Via')}`,
        `From: ${header(bye.text, 'From')}`,
        `To: ${header(bye.text, 'To')}`,
        `Call-ID: ${header(bye.text, 'Call-ID')}`,
        `CSeq: ${header(bye.text, 'CSeq')}`,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
      bye.from,
    );
  });
});
