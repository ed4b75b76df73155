import * as dgram from 'node:dgram';

/** A raw UDP peer on 127.0.0.1 that sends hand-written SIP and collects what comes back. */
export async function rawPeer(): Promise<{
  port: number;
  received: string[];
  send(text: string | Buffer, port: number): Promise<void>;
  waitFor(pred: (all: string[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  try {
    sock.setRecvBufferSize(8 * 1024 * 1024);
  } catch {
    // capped by the kernel
  }
  const received: string[] = [];
  let wake: (() => void) | undefined;
  sock.on('message', (d) => {
    received.push(d.toString('latin1'));
    wake?.();
  });
  return {
    port: sock.address().port,
    received,
    send: (text, port) => new Promise<void>((r) => sock.send(text, port, '127.0.0.1', () => r())),
    async waitFor(pred, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pred(received)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting; got ${received.length} messages`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 50);
        });
      }
    },
    close: () => new Promise<void>((r) => sock.close(() => r())),
  };
}

/** A minimal valid request from `port`, with a fresh branch. */
export function rawRequest(
  method: string,
  port: number,
  opts: {
    callId?: string;
    cseq?: number;
    fromTag?: string;
    toTag?: string;
    branch?: string;
    extra?: string[];
    body?: string;
  } = {},
): string {
  const body = opts.body ?? '';
  return [
    `${method} sip:uas@127.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=${opts.branch ?? `z9hG4bK${Math.random().toString(36).slice(2)}`};rport`,
    'Max-Forwards: 70',
    `From: <sip:peer@127.0.0.1>;tag=${opts.fromTag ?? 'peer1'}`,
    `To: <sip:uas@127.0.0.1>${opts.toTag === undefined ? '' : `;tag=${opts.toTag}`}`,
    `Call-ID: ${opts.callId ?? 'call-1'}`,
    `CSeq: ${opts.cseq ?? 1} ${method}`,
    `Contact: <sip:peer@127.0.0.1:${port}>`,
    ...(opts.extra ?? []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}
