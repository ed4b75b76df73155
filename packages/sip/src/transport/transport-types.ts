/** The transports the engine speaks (no SCTP, no TLS, no WebSocket). */
export type TransportProtocol = 'udp' | 'tcp';

/** An IP endpoint. `host` is a literal IPv4 or IPv6 address (no brackets). */
export interface HostPort {
  /** IPv4 or IPv6 literal, e.g. `127.0.0.1` or `::1`. */
  readonly host: string;
  /** UDP/TCP port. */
  readonly port: number;
}

/** A bound local transport address. */
export interface TransportAddress extends HostPort {
  /** Transport protocol. */
  readonly transport: TransportProtocol;
  /** Address family of `host`. */
  readonly family: 'IPv4' | 'IPv6';
}

/** What a transport delivers upward: one complete SIP message (UDP datagram or framed TCP message). */
export interface InboundMessage {
  /** The raw bytes of exactly one message. */
  readonly data: Buffer;
  /** Where it came from (the packet's source address, RFC 3261 18.2.1 / RFC 3581). */
  readonly remote: HostPort;
  /** The local address it arrived on. */
  readonly local: TransportAddress;
}

/** Why a transport dropped input without delivering it. */
export type TransportDropReason = 'oversized' | 'keepalive' | 'framing';

/** Callbacks a transport reports to (the stack). */
export interface TransportHandlers {
  /** A complete message arrived. Must not throw (the transport guards it anyway). */
  onMessage(message: InboundMessage): void;
  /**
   * Input was discarded; `reason` says why (logged by the transport too). For `oversized` and
   * `framing`, `head` holds the start of the discarded message, so that the stack can answer a
   * request statelessly (513 / 400) before the transport closes a TCP connection.
   */
  onDrop?(reason: TransportDropReason, remote: HostPort, bytes: number, head?: Buffer): void;
}

/** A listening transport: send to a remote address, close to free the socket(s). */
export interface Transport {
  /** 'udp' or 'tcp'. */
  readonly protocol: TransportProtocol;
  /** True for TCP (no retransmissions, RFC 3261 17.1.1.2). */
  readonly reliable: boolean;
  /** The bound address (with the real port when 0 was asked for). */
  readonly local: TransportAddress;
  /**
   * Sends one message. Errors (unreachable, connection refused) are reported through `onError`,
   * never thrown; the call itself only throws if the transport is closed.
   */
  send(data: Buffer, remote: HostPort, onError?: (error: Error) => void): void;
  /** Connection-oriented transports: true while a connection to `remote` is open. */
  isConnected?(remote: HostPort): boolean;
  /** Closes the listening socket and every connection. Idempotent. */
  close(): Promise<void>;
}
