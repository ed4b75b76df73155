import * as dgram from 'node:dgram';
import * as dns from 'node:dns';
import { isIP, isIPv6 } from 'node:net';
import type { SipLogger } from './logger.js';
import type { HostPort, Transport, TransportAddress, TransportHandlers } from './transport-types.js';

/** Options for {@link createUdpTransport}. */
export interface UdpTransportOptions {
  /** Literal IPv4/IPv6 address to bind; default `127.0.0.1`. */
  readonly host?: string;
  /** Port to bind; 0 (the default) picks an ephemeral port. */
  readonly port?: number;
  /** Datagrams larger than this are dropped with a logged reason; default 65 535. */
  readonly maxMessageSize?: number;
  /** Where drops and socket errors are logged. */
  readonly logger: SipLogger;
}

/**
 * The socket's resolver. Node's default, `dns.lookup`, answers even an IP literal on the next
 * tick, so a datagram sent from a chain of promise callbacks waited until the whole chain had run
 * (a REFER's 202 left only after the NOTIFY and the INVITE built behind it). A literal needs no
 * resolving and is answered at once, so the datagram goes out when `send` is called; names still
 * go to `dns.lookup`. Send callbacks stay asynchronous (Node reports them on the next tick).
 */
const lookupLiteral: NonNullable<dgram.SocketOptions['lookup']> = (hostname, options, callback) => {
  const family = isIP(hostname);
  if (family !== 0) callback(null, hostname, family);
  else dns.lookup(hostname, options, callback);
};

/**
 * Binds a UDP socket and returns a {@link Transport}: one datagram is one message
 * (RFC 3261 section 18.3); datagrams of four bytes or fewer made only of CRLF are keep-alives
 * and dropped; oversized datagrams are dropped (counted through `onDrop`).
 */
export async function createUdpTransport(
  options: UdpTransportOptions,
  handlers: TransportHandlers,
): Promise<Transport> {
  const host = options.host ?? '127.0.0.1';
  const family = isIPv6(host) ? 'IPv6' : 'IPv4';
  const max = options.maxMessageSize ?? 65_535;
  const { logger } = options;
  const socket = dgram.createSocket({
    type: family === 'IPv6' ? 'udp6' : 'udp4',
    ipv6Only: family === 'IPv6',
    lookup: lookupLiteral,
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    socket.once('error', onError);
    socket.bind({ address: host, port: options.port ?? 0, exclusive: true }, () => {
      socket.off('error', onError);
      resolve();
    });
  });
  // Large receive buffers keep bursts from being dropped by the kernel under load.
  try {
    socket.setRecvBufferSize(4 * 1024 * 1024);
    socket.setSendBufferSize(4 * 1024 * 1024);
  } catch {
    // Not fatal: the kernel may cap buffer sizes.
  }
  const bound = socket.address();
  const local: TransportAddress = { transport: 'udp', host, port: bound.port, family };
  let closed = false;

  socket.on('error', (err) => logger.warn({ err, local }, 'udp socket error'));
  socket.on('message', (data, rinfo) => {
    const remote: HostPort = { host: rinfo.address, port: rinfo.port };
    try {
      if (data.length > max) {
        logger.warn({ remote, bytes: data.length, max }, 'udp datagram dropped: larger than maxMessageSize');
        handlers.onDrop?.('oversized', remote, data.length, data);
        return;
      }
      if (data.length <= 4 && /^[\r\n]*$/.test(data.toString('latin1'))) {
        handlers.onDrop?.('keepalive', remote, data.length);
        return;
      }
      handlers.onMessage({ data, remote, local });
    } catch (err) {
      logger.error({ err, remote }, 'udp message handler threw');
    }
  });

  return {
    protocol: 'udp',
    reliable: false,
    local,
    send(data, remote, onError) {
      if (closed) throw new Error('udp transport is closed');
      socket.send(data, remote.port, remote.host, (err) => {
        if (err) {
          logger.debug({ err, remote }, 'udp send failed');
          onError?.(err);
        }
      });
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      return new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}
