import * as dgram from 'node:dgram';

/** Which way a datagram travels through the relay. */
export type RelayDirection = 'to-target' | 'to-client';

/**
 * A UDP relay on 127.0.0.1 between a client and a target, dropping the datagrams that `drop`
 * selects: the test's way of injecting loss (e.g. "the first INVITE") without a network namespace.
 * Datagrams from the target go back to the most recent client address.
 */
export async function startLossyRelay(
  target: { host: string; port: number },
  drop: (data: Buffer, direction: RelayDirection) => boolean,
): Promise<{ port: number; dropped: string[]; close(): Promise<void> }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  const dropped: string[] = [];
  let client: { address: string; port: number } | undefined;
  socket.on('message', (data, rinfo) => {
    const fromTarget = rinfo.address === target.host && rinfo.port === target.port;
    const direction: RelayDirection = fromTarget ? 'to-client' : 'to-target';
    if (!fromTarget) client = { address: rinfo.address, port: rinfo.port };
    if (drop(data, direction)) {
      dropped.push(data.toString('latin1').split('\r\n', 1)[0] ?? '');
      return;
    }
    if (fromTarget) {
      if (client !== undefined) socket.send(data, client.port, client.address);
    } else {
      socket.send(data, target.port, target.host);
    }
  });
  return {
    port: socket.address().port,
    dropped,
    close: () => new Promise<void>((r) => socket.close(() => r())),
  };
}

/** A drop predicate that drops only the first datagram whose text matches `re`. */
export function dropFirst(
  re: RegExp,
  direction?: RelayDirection,
): (data: Buffer, dir: RelayDirection) => boolean {
  let done = false;
  return (data, dir) => {
    if (done || (direction !== undefined && dir !== direction)) return false;
    if (!re.test(data.toString('latin1'))) return false;
    done = true;
    return true;
  };
}
