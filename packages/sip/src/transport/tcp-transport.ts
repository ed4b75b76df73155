import * as net from 'node:net';
import type { SipLogger } from './logger.js';
import { StreamFramer } from './stream-framer.js';
import type { HostPort, Transport, TransportAddress, TransportHandlers } from './transport-types.js';

/** Options for {@link createTcpTransport}. */
export interface TcpTransportOptions {
  /** Literal IPv4/IPv6 address to bind; default `127.0.0.1`. */
  readonly host?: string;
  /** Port to listen on; 0 (the default) picks an ephemeral port. */
  readonly port?: number;
  /** A connection whose next message would exceed this is closed with a logged reason; default 65 535. */
  readonly maxMessageSize?: number;
  /** Connections idle this long (ms, wall clock) are closed; default 5 minutes, 0 disables. */
  readonly idleTimeoutMs?: number;
  /** Where drops and socket errors are logged. */
  readonly logger: SipLogger;
}

interface Connection {
  readonly socket: net.Socket;
  connected: boolean;
  readonly queue: { data: Buffer; onError: ((error: Error) => void) | undefined }[];
}

const key = (r: HostPort): string => `${r.host}|${r.port}`;

/**
 * Listens on TCP and returns a {@link Transport}. Connections, inbound or outbound, are indexed by
 * the remote address and reused for every message to that address (RFC 3261 section 18.2.2:
 * responses go back over the connection the request came on; section 18.1.1: requests reuse an
 * open connection). Messages are framed by Content-Length ({@link StreamFramer}).
 */
export async function createTcpTransport(
  options: TcpTransportOptions,
  handlers: TransportHandlers,
): Promise<Transport> {
  const host = options.host ?? '127.0.0.1';
  const family = net.isIPv6(host) ? 'IPv6' : 'IPv4';
  const max = options.maxMessageSize ?? 65_535;
  const idle = options.idleTimeoutMs ?? 300_000;
  const { logger } = options;
  const connections = new Map<string, Connection>();
  /** Every open socket, including connections closing after a framing error. */
  const sockets = new Set<net.Socket>();
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: options.port ?? 0, ipv6Only: family === 'IPv6', exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as net.AddressInfo;
  const local: TransportAddress = { transport: 'tcp', host, port: addr.port, family };
  let closed = false;

  const attach = (socket: net.Socket, remote: HostPort, connected: boolean): Connection => {
    const conn: Connection = { socket, connected, queue: [] };
    const k = key(remote);
    connections.set(k, conn);
    const framer = new StreamFramer(max);
    let failed = false;
    sockets.add(socket);
    socket.setNoDelay(true);
    if (idle > 0) socket.setTimeout(idle, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      if (failed) return;
      try {
        const r = framer.push(chunk);
        for (const data of r.messages) handlers.onMessage({ data, remote, local });
        if (r.ok) {
          // RFC 5626 3.5.1: answer a double-CRLF ping with a single CRLF pong.
          if (r.keepalives > 0) socket.write('\r\n');
          return;
        }
        logger.warn(
          { remote, reason: r.error, max },
          'tcp connection closed: unframeable or oversized message',
        );
        failed = true;
        // The handler may answer (513 / 400) over this connection; then it is closed gracefully
        // (RFC 4475 section 3.1.2.3: a framing error on a stream is not recoverable).
        handlers.onDrop?.(
          r.error === 'oversized' ? 'oversized' : 'framing',
          remote,
          framer.buffered,
          framer.peek(),
        );
        if (connections.get(k) === conn) connections.delete(k);
        socket.end();
        socket.setTimeout(2_000, () => socket.destroy());
      } catch (err) {
        logger.error({ err, remote }, 'tcp message handler threw');
      }
    });
    socket.on('error', (err) => {
      logger.debug({ err, remote }, 'tcp connection error');
      for (const q of conn.queue.splice(0)) q.onError?.(err);
    });
    socket.on('close', () => {
      sockets.delete(socket);
      if (connections.get(k) === conn) connections.delete(k);
    });
    return conn;
  };

  server.on('connection', (socket) => {
    if (closed) {
      socket.destroy();
      return;
    }
    const remote = { host: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    attach(socket, remote, true);
  });
  server.on('error', (err) => logger.warn({ err, local }, 'tcp server error'));

  return {
    protocol: 'tcp',
    reliable: true,
    local,
    send(data, remote, onError) {
      if (closed) throw new Error('tcp transport is closed');
      let conn = connections.get(key(remote));
      if (conn === undefined || conn.socket.destroyed) {
        const socket = net.connect({
          host: remote.host,
          port: remote.port,
          family: family === 'IPv6' ? 6 : 4,
        });
        const c = attach(socket, remote, false);
        conn = c;
        socket.once('connect', () => {
          c.connected = true;
          for (const q of c.queue.splice(0)) socket.write(q.data);
        });
      }
      if (!conn.connected) {
        conn.queue.push({ data, onError });
        return;
      }
      conn.socket.write(data, (err) => {
        if (err) onError?.(err);
      });
    },
    isConnected(remote) {
      const c = connections.get(key(remote));
      return c !== undefined && c.connected && !c.socket.destroyed;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      connections.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
