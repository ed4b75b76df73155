import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, createSipStack } from '../../src/index.js';
import type { ClientTransaction, Dialog, SipStack, StackError, WireMessageEvent } from '../../src/index.js';
import { rawPeer } from '../helpers/raw-peer.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

describe('client side on the manual clock', () => {
  it('an unanswered INVITE over UDP is retransmitted per Timer A and ends with a local 408 at Timer B', async () => {
    const clock = new ManualClock();
    const stack = await createSipStack({ listen: [{ transport: 'udp' }], clock });
    const peer = await rawPeer(); // never answers
    open.push(stack, peer);
    const call = stack.sendRequest(
      { method: 'INVITE', uri: `sip:x@127.0.0.1:${peer.port}` },
      { destination: { transport: 'udp', host: '127.0.0.1', port: peer.port } },
    );
    for (let t = 0; t < 32_000; t += 250) {
      clock.advance(250);
      await new Promise((r) => setImmediate(r));
    }
    const res = await call.response;
    expect(res.status).toBe(408);
    expect(call.error?.code).toBe('TRANSACTION_TIMEOUT');
    await peer.waitFor((all) => all.length >= 7);
    expect(peer.received).toHaveLength(7);
    expect(new Set(peer.received).size).toBe(1); // byte-identical retransmissions
    expect(stack.stats.activeTransactions).toBe(0);
  });

  it('over TCP nothing is retransmitted (RFC 3261 17.1.1.2) and Timer B still ends it', async () => {
    const clock = new ManualClock();
    const sink = await createSipStack({ listen: [{ transport: 'tcp' }] });
    const stack = await createSipStack({ listen: [{ transport: 'tcp' }], clock });
    open.push(stack, sink);
    let invites = 0;
    sink.on('message', (e) => {
      if (e.direction === 'in' && e.data.toString().startsWith('INVITE')) invites++;
    });
    sink.on('request', () => {
      // never answers (beyond the stack's automatic 100 Trying)
    });
    const port = sink.addresses[0]!.port;
    const call = stack.sendRequest(
      { method: 'OPTIONS', uri: `sip:x@127.0.0.1:${port}` },
      { destination: { transport: 'tcp', host: '127.0.0.1', port } },
    );
    const invite = stack.sendRequest(
      { method: 'INVITE', uri: `sip:x@127.0.0.1:${port}` },
      { destination: { transport: 'tcp', host: '127.0.0.1', port } },
    );
    let provisional = 0;
    invite.on('provisional', () => provisional++);
    while (provisional === 0) await new Promise((r) => setTimeout(r, 5));
    clock.advance(32_000);
    expect((await call.response).status).toBe(408);
    expect(invites).toBe(1);
    // The INVITE got 100 Trying, so it sits in Proceeding: Timer B no longer applies (Figure 5).
    expect(invite.error).toBeUndefined();
  });
});

describe('UAC dialogs and robustness', () => {
  let uac: SipStack;
  let uas: SipStack;
  const setup = async () => {
    uac = await createSipStack({ listen: [{ transport: 'udp' }] });
    uas = await createSipStack({ listen: [{ transport: 'udp' }] });
    open.push(uac, uas);
    const a = uas.addresses[0]!;
    return {
      destination: { transport: 'udp' as const, host: a.host, port: a.port },
      uri: `sip:b@127.0.0.1:${a.port}`,
    };
  };

  it('a 180 with a to-tag creates an early dialog that the 200 confirms', async () => {
    const { destination, uri } = await setup();
    uas.on('request', (req) => {
      req.respond(180);
      setTimeout(() => req.respond(200), 20);
    });
    const call = uac.sendRequest({ method: 'INVITE', uri }, { destination });
    const states: string[] = [];
    const dialog = await new Promise<Dialog>((resolve) =>
      call.on('dialog', (d) => {
        states.push(d.state);
        d.on('confirmed', () => states.push('confirmed'));
        resolve(d);
      }),
    );
    expect((await call.response).status).toBe(200);
    expect(call.dialog).toBe(dialog);
    expect(states).toEqual(['early', 'confirmed']);
    expect(dialog.role).toBe('uac');
    expect(dialog.localSeq).toBe(1);
  });

  it('a request listener that throws gets the request answered 500; the stack keeps working', async () => {
    const { destination, uri } = await setup();
    let n = 0;
    uas.on('request', (req) => {
      if (++n === 1) throw new Error('application bug');
      req.respond(200);
    });
    expect((await uac.sendRequest({ method: 'MESSAGE', uri }, { destination }).response).status).toBe(500);
    expect((await uac.sendRequest({ method: 'MESSAGE', uri }, { destination }).response).status).toBe(200);
  });

  it('emits a message event for every message in and out, with addresses and transport', async () => {
    const { destination, uri } = await setup();
    const events: WireMessageEvent[] = [];
    uac.on('message', (e) => events.push(e));
    await uac.sendRequest({ method: 'OPTIONS', uri }, { destination }).response;
    expect(events.map((e) => `${e.direction} ${e.data.toString().split(' ', 1)[0]}`)).toEqual([
      'out OPTIONS',
      'in SIP/2.0',
    ]);
    expect(events[0]!.remote).toEqual({ host: destination.host, port: destination.port });
    expect(events[0]!.local).toEqual(uac.addresses[0]);
    expect(events[1]!.transport).toBe('udp');
  });

  it('a destination on a transport the stack does not listen on resolves 503 with TRANSPORT_ERROR', async () => {
    const { uri } = await setup();
    const r = uac.sendRequest(
      { method: 'OPTIONS', uri },
      { destination: { transport: 'tcp', host: '127.0.0.1', port: 9 } },
    );
    expect((await r.response).status).toBe(503);
    expect(r.error?.code).toBe('TRANSPORT_ERROR');
  });
});

/** A response to `request` (raw text) copying Via, From, Call-ID and CSeq, with a To tag. */
function rawResponse(request: string, status: string, toTag: string, contactPort: number): string {
  const line = (name: string) => request.split('\r\n').find((l) => l.startsWith(`${name}:`)) ?? '';
  return [
    `SIP/2.0 ${status}`,
    line('Via'),
    line('From'),
    `${line('To')};tag=${toTag}`,
    line('Call-ID'),
    line('CSeq'),
    `Contact: <sip:callee@127.0.0.1:${contactPort}>`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** Collects garbage now (the flag is set at run time; the worker was started without it). */
function collectGarbage(): Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  // A WeakRef's target is kept until the current job ends: collect on a later turn.
  return new Promise((resolve) =>
    setImmediate(() => {
      gc();
      setImmediate(resolve);
    }),
  );
}

describe('client transactions after the final response', () => {
  const sent = (all: string[], prefix: string) => all.filter((m) => m.startsWith(prefix));
  /** A stack that has sent an INVITE to a raw peer, once the peer has it. */
  const inviteSent = async () => {
    const stack = await createSipStack({ listen: [{ transport: 'udp' }] });
    const peer = await rawPeer();
    open.push(stack, peer);
    // Held only here: a test drops it to see that the stack lets go of it too.
    const started: { stack: SipStack; peer: typeof peer; call: ClientTransaction | undefined } = {
      stack,
      peer,
      call: stack.sendRequest(
        { method: 'INVITE', uri: `sip:callee@127.0.0.1:${peer.port}` },
        { destination: { transport: 'udp', host: '127.0.0.1', port: peer.port } },
      ),
    };
    await peer.waitFor((all) => sent(all, 'INVITE ').length > 0);
    return started;
  };
  /** Drops the test's only reference to the handle: true when garbage collection then frees it. */
  const collectedOnceDropped = async (started: { call: ClientTransaction | undefined }) => {
    const handle = new WeakRef(started.call!);
    started.call = undefined;
    await collectGarbage();
    return handle.deref() === undefined;
  };

  it('a 2xx retransmission is re-ACKed with the same bytes; a forked 2xx is ACKed and hung up; the handle is not kept', async () => {
    const started = await inviteSent();
    const { stack, peer } = started;
    const invite = sent(peer.received, 'INVITE ')[0]!;
    const ok = rawResponse(invite, '200 OK', 'fork1', peer.port);
    await peer.send(ok, stack.addresses[0]!.port);
    expect((await started.call!.response).status).toBe(200);
    await peer.waitFor((all) => sent(all, 'ACK ').length === 1);
    // Accepted (RFC 6026): the transaction waits out Timer M without the application's handle.
    expect(await collectedOnceDropped(started)).toBe(true);
    expect(stack.stats.activeTransactions).toBe(1);

    await peer.send(ok, stack.addresses[0]!.port);
    await peer.waitFor((all) => sent(all, 'ACK ').length === 2);
    const [ack1, ack2] = sent(peer.received, 'ACK ');
    expect(ack2).toBe(ack1);

    await peer.send(rawResponse(invite, '200 OK', 'fork2', peer.port), stack.addresses[0]!.port);
    await peer.waitFor((all) => sent(all, 'BYE ').length === 1);
    const acks = sent(peer.received, 'ACK ');
    expect(acks).toHaveLength(3);
    expect(acks[2]).toMatch(/^To: .*;tag=fork2\r$/m);
    expect(sent(peer.received, 'BYE ')[0]).toMatch(/^To: .*;tag=fork2\r$/m);
  });

  it('a retransmitted 486 is re-ACKed with the same bytes while the handle is already gone', async () => {
    const started = await inviteSent();
    const { stack, peer } = started;
    const busy = rawResponse(sent(peer.received, 'INVITE ')[0]!, '486 Busy Here', 'b1', peer.port);
    await peer.send(busy, stack.addresses[0]!.port);
    expect((await started.call!.response).status).toBe(486);
    await peer.waitFor((all) => sent(all, 'ACK ').length === 1);
    expect(await collectedOnceDropped(started)).toBe(true);
    expect(stack.stats.activeTransactions).toBe(1); // Completed, Timer D
    await peer.send(busy, stack.addresses[0]!.port);
    await peer.waitFor((all) => sent(all, 'ACK ').length === 2);
    const [ack1, ack2] = sent(peer.received, 'ACK ');
    expect(ack2).toBe(ack1);
    expect(ack1).toMatch(/^CSeq: 1 ACK\r$/m);
  });
});

describe('sendRequest guards', () => {
  it('refuses ACK and CANCEL with a typed error', async () => {
    const stack = await createSipStack({ listen: [{ transport: 'udp' }] });
    open.push(stack);
    const destination = { transport: 'udp' as const, host: '127.0.0.1', port: 9 };
    for (const method of ['ACK', 'cancel']) {
      let code: unknown;
      try {
        stack.sendRequest({ method, uri: 'sip:x@127.0.0.1:9' }, { destination });
      } catch (err) {
        code = (err as StackError).code;
      }
      expect(code).toBe('INVALID_REQUEST');
    }
  });
});
