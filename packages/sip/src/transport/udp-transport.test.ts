import { describe, expect, it } from 'vitest';
import type { InboundMessage, Transport } from './transport-types.js';
import { createUdpTransport } from './udp-transport.js';

const logger = { debug() {}, info() {}, warn() {}, error() {} };

async function pair(): Promise<{
  a: Transport;
  b: Transport;
  next: () => Promise<InboundMessage>;
}> {
  const received: InboundMessage[] = [];
  let wake: (() => void) | undefined;
  const a = await createUdpTransport({ logger }, { onMessage: () => {} });
  const b = await createUdpTransport(
    { logger },
    {
      onMessage: (m) => {
        received.push(m);
        wake?.();
      },
    },
  );
  const next = async (): Promise<InboundMessage> => {
    while (received.length === 0) await new Promise<void>((r) => (wake = r));
    return received.shift()!;
  };
  return { a, b, next };
}

describe('UDP transport', () => {
  it('sends to an IP literal from inside a promise chain, and to a name through DNS', async () => {
    const { a, b, next } = await pair();
    try {
      await Promise.resolve().then(() =>
        a.send(Buffer.from('literal'), { host: '127.0.0.1', port: b.local.port }),
      );
      expect((await next()).data.toString()).toBe('literal');
      a.send(Buffer.from('named'), { host: 'localhost', port: b.local.port });
      const m = await next();
      expect(m.data.toString()).toBe('named');
      expect(m.remote).toEqual({ host: '127.0.0.1', port: a.local.port });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('reports a send the kernel refuses through onError, asynchronously, and keeps working', async () => {
    const { a, b, next } = await pair();
    try {
      const errors: Error[] = [];
      let returned = false;
      // Larger than any UDP datagram: the kernel refuses it (EMSGSIZE).
      a.send(Buffer.alloc(70_000, 0x41), { host: '127.0.0.1', port: b.local.port }, (err) => {
        expect(returned).toBe(true);
        errors.push(err);
      });
      returned = true;
      await new Promise((r) => setTimeout(r, 20));
      expect(errors).toHaveLength(1);
      a.send(Buffer.from('after'), { host: '127.0.0.1', port: b.local.port });
      expect((await next()).data.toString()).toBe('after');
    } finally {
      await a.close();
      await b.close();
    }
  });
});
