import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createSipStack } from '../../src/index.js';
import type { Dialog, SipStack } from '../../src/index.js';

const open: SipStack[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

describe('dialog flows', () => {
  it('over TCP, in-dialog requests to a client with a non-IP Contact reuse its connection', async () => {
    const stack = await createSipStack({ listen: [{ transport: 'tcp' }] });
    open.push(stack);
    const port = stack.addresses[0]!.port;
    const dialogP = new Promise<Dialog>((resolve) => {
      stack.on('request', (req) => {
        const d = req.respond(200);
        if (d) resolve(d);
      });
    });
    const client = net.connect(port, '127.0.0.1');
    await new Promise<void>((r) => client.once('connect', () => r()));
    let inbox = '';
    client.on('data', (d: Buffer) => (inbox += d.toString()));
    client.write(
      [
        'INVITE sip:uas@127.0.0.1 SIP/2.0',
        'Via: SIP/2.0/TCP abcdef.invalid;branch=z9hG4bKflow1',
        'Max-Forwards: 70',
        'From: <sip:ws@abcdef.invalid>;tag=ws1',
        'To: <sip:uas@127.0.0.1>',
        'Call-ID: flow-1',
        'CSeq: 1 INVITE',
        'Contact: <sip:ws@abcdef.invalid;transport=tcp>',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
    const dialog = await dialogP;
    while (!inbox.includes('SIP/2.0 200')) await new Promise((r) => setTimeout(r, 5));
    const toTag = /To: [^\r]*;tag=([^\r;]+)/.exec(inbox.slice(inbox.indexOf('SIP/2.0 200')))![1]!;
    client.write(
      `ACK sip:uas@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP abcdef.invalid;branch=z9hG4bKflow2\r\nMax-Forwards: 70\r\nFrom: <sip:ws@abcdef.invalid>;tag=ws1\r\nTo: <sip:uas@127.0.0.1>;tag=${toTag}\r\nCall-ID: flow-1\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n`,
    );
    void dialog.request('BYE');
    while (!inbox.includes('BYE sip:ws@abcdef.invalid;transport=tcp SIP/2.0'))
      await new Promise((r) => setTimeout(r, 5));
    expect(dialog.state).toBe('terminated');
    client.destroy();
  });
});
